using System.Text;
using System.Text.RegularExpressions;

namespace BallOrleans.Web.Bots;

/// <summary>
/// A short readable name for the bot behind a user agent ("Googlebot", "python-requests",
/// "Audisto Crawler"), for the stats. The list says only "bot or not", so the name comes from the
/// user agent itself: its first product token that names a robot, else the token where the list
/// matched, else its first product token. Our own rule, kept small: it labels a count, it decides nothing.
/// </summary>
public static class BotFamily
{
    public const string Unnamed = "(unnamed)";
    public const int MaxLength = 40;

    private const RegexOptions Options = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking;

    // Words robots put in their names.
    private static readonly Regex RobotWord = new(
        "bot|crawl|spider|scrap|slurp|fetch|preview|archiv|monitor|checker|validator|scan|index|http|curl|wget|python|java|perl|php|ruby|axios|headless",
        Options);

    // A name that is only a robot word says little alone: "Audisto Crawler" beats "Crawler".
    private static readonly Regex BareRobotWord = new("^(web ?)?(ro)?(bot|crawler|spider|scraper|fetcher|agent)s?$", Options);

    private static readonly Regex TrailingVersion = new("[-_ ]?v?[0-9][0-9._]*$", Options);

    // Words of browsers' and platforms' user agents, which name no robot.
    private static readonly HashSet<string> CommonWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "Mozilla", "compatible", "AppleWebKit", "KHTML", "like", "Gecko", "Chrome", "Safari", "Version", "Mobile", "Firefox",
        "Windows", "NT", "Win64", "WOW64", "x64", "X11", "Linux", "Ubuntu", "x86_64", "i686", "Android", "U", "Macintosh",
        "Intel", "Mac", "OS", "X", "iPhone", "iPad", "CPU", "MSIE", "Trident", "Build", "en-US", "en",
    };

    public static string Name(string userAgent, int matchIndex)
    {
        var tokens = Tokens(userAgent);
        var chosen = tokens.FindIndex(t => !t.IsAddress && RobotWord.IsMatch(t.Product));
        if (chosen < 0)
        {
            // The token the list matched in, unless it is a common word or an address (a robot's
            // "+http://…"): then the first "name/version" token that is neither, or any such token.
            chosen = tokens.FindIndex(t => t.End > matchIndex);
            if (chosen < 0 || !tokens[chosen].IsName)
            {
                chosen = tokens.FindIndex(t => t.IsName && t.Text.Contains('/'));
                chosen = chosen >= 0 ? chosen : tokens.FindIndex(t => t.IsName);
            }
        }

        if (chosen < 0)
        {
            // Named only by its address: its host ("+https://www.example.com/bot" gives "example.com").
            var address = tokens.Find(t => t.IsAddress && !t.Text.Contains('@'));
            return address.Text is null ? Unnamed : Clean(Host(address.Text));
        }

        var name = TrailingVersion.Replace(tokens[chosen].Product, "");
        if (BareRobotWord.IsMatch(name))
        {
            // Up to two plain words just before it, in the same run of words: "Linguee Bot".
            for (var i = chosen - 1; i >= 0 && i >= chosen - 2 && tokens[i].End + 1 == tokens[i + 1].Start
                && userAgent[tokens[i].End] == ' ' && tokens[i].IsPlainWord; i--)
            {
                name = $"{tokens[i].Text} {name}";
            }
        }

        return Clean(name);
    }

    private static string Host(string address)
    {
        var host = address.TrimStart('+');
        host = host.Contains("://", StringComparison.Ordinal) ? host[(host.IndexOf("://", StringComparison.Ordinal) + 3)..] : host;
        host = host.StartsWith("www.", StringComparison.OrdinalIgnoreCase) ? host[4..] : host;
        var end = host.IndexOfAny(['/', '?', '#', ':']);
        return end < 0 ? host : host[..end];
    }

    private readonly record struct Token(int Start, string Text)
    {
        public int End => Start + Text.Length;

        /// <summary>The name part of "name/version".</summary>
        public string Product => Text.Split('/')[0].TrimStart('+', '-', '_');

        public bool IsAddress => Text.Contains("://", StringComparison.Ordinal) || Text.Contains('@')
            || Text.StartsWith("www.", StringComparison.OrdinalIgnoreCase) || Text.StartsWith("+http", StringComparison.OrdinalIgnoreCase);

        public bool IsPlainWord => Text.All(char.IsAsciiLetter) && !CommonWords.Contains(Text);

        public bool IsName => !IsAddress && !CommonWords.Contains(Product) && Product.Any(char.IsAsciiLetter);
    }

    private static List<Token> Tokens(string userAgent)
    {
        var tokens = new List<Token>();
        var start = -1;
        for (var i = 0; i <= userAgent.Length; i++)
        {
            var separator = i == userAgent.Length || userAgent[i] is ' ' or ';' or '(' or ')' or ',' or '[' or ']' or '"';
            if (separator && start >= 0)
            {
                tokens.Add(new Token(start, userAgent[start..i]));
                start = -1;
            }
            else if (!separator && start < 0)
            {
                start = i;
            }
        }

        return tokens;
    }

    // Only characters that are safe and readable anywhere the name is shown.
    private static string Clean(string name)
    {
        var clean = new StringBuilder(Math.Min(name.Length, MaxLength));
        foreach (var c in name)
        {
            if (clean.Length == MaxLength)
            {
                break;
            }

            if (char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or ' ')
            {
                clean.Append(c);
            }
        }

        var text = clean.ToString().Trim();
        return text.Length == 0 ? Unnamed : text;
    }
}
