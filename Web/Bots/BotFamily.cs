using System.Text;
using System.Text.RegularExpressions;

namespace BallOrleans.Web.Bots;

/// <summary>
/// A short readable name for the bot behind a user agent ("Googlebot", "python-requests",
/// "Audisto Crawler"), for the stats. The list says only "bot or not", so the name comes from the
/// user agent itself: its first token that names a robot, else its first product token that is
/// not a browser's, else its address's host. Our own rule, kept small: it labels a count, it
/// decides nothing.
/// </summary>
public static class BotFamily
{
    public const string Unnamed = "(unnamed)";
    public const int MaxLength = 40;

    private const RegexOptions Options = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking;

    // Words robots put in their names. Plain words, so the backtracking engine is linear here
    // too, and faster: it searches for all of them at once.
    private static readonly Regex RobotWord = new(
        "bot|crawl|spider|scrap|slurp|fetch|preview|archiv|monitor|checker|validator|scan|index|http|curl|wget|python|java|perl|php|ruby|axios|headless",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled);

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

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> Common = CommonWords.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The family of a user agent the list says is a bot.</summary>
    public static string Name(string userAgent)
    {
        // Tokens are positions in the user agent: only the chosen one becomes a string.
        var tokens = Tokens(userAgent);
        var chosen = -1;
        foreach (var word in RobotWord.EnumerateMatches(userAgent))
        {
            var index = word.Index;
            var at = tokens.FindIndex(t => t.End > index);
            if (at >= 0 && !tokens[at].IsAddress(userAgent))
            {
                chosen = at;
                break;
            }
        }

        if (chosen < 0)
        {
            // No robot word outside an address: the first "name/version" token that is not a
            // browser's or platform's word ("facebookexternalhit/1.1"), else the last plain name
            // (robots that borrow a browser's user agent append theirs: "… Chrome-Lighthouse").
            chosen = tokens.FindIndex(t => t.IsName(userAgent) && t.Span(userAgent).Contains('/'));
            chosen = chosen >= 0 ? chosen : tokens.FindLastIndex(t => t.IsName(userAgent));
        }

        if (chosen < 0)
        {
            // Named only by its address: its host ("+https://www.example.com/bot" gives "example.com").
            var address = tokens.FindIndex(t => t.IsAddress(userAgent) && !t.Span(userAgent).Contains('@'));
            return address < 0 ? Unnamed : Clean(Host(tokens[address].Span(userAgent).ToString()));
        }

        var name = TrailingVersion.Replace(tokens[chosen].Product(userAgent).ToString(), "");
        if (BareRobotWord.IsMatch(name))
        {
            // Up to two plain words just before it, in the same run of words: "Linguee Bot".
            for (var i = chosen - 1; i >= 0 && i >= chosen - 2 && tokens[i].End + 1 == tokens[i + 1].Start
                && userAgent[tokens[i].End] == ' ' && tokens[i].IsPlainWord(userAgent); i--)
            {
                name = $"{tokens[i].Span(userAgent)} {name}";
            }
        }

        return Clean(name);
    }

    private readonly record struct Token(int Start, int Length)
    {
        public int End => Start + Length;

        public ReadOnlySpan<char> Span(string userAgent) => userAgent.AsSpan(Start, Length);

        /// <summary>The name part of "name/version".</summary>
        public ReadOnlySpan<char> Product(string userAgent)
        {
            var text = Span(userAgent);
            var slash = text.IndexOf('/');
            return (slash < 0 ? text : text[..slash]).TrimStart("+-_");
        }

        public bool IsAddress(string userAgent)
        {
            var text = Span(userAgent);
            return text.Contains("://", StringComparison.Ordinal) || text.Contains('@')
                || text.StartsWith("www.", StringComparison.OrdinalIgnoreCase) || text.StartsWith("+http", StringComparison.OrdinalIgnoreCase);
        }

        public bool IsPlainWord(string userAgent) => !Span(userAgent).ContainsAnyExcept(AsciiLetters) && !Common.Contains(Span(userAgent));

        // Not an address, a common word, a setting ("rv:109.0") or a version ("v2.0").
        public bool IsName(string userAgent)
        {
            var product = Product(userAgent);
            var firstLetter = product.IndexOfAny(AsciiLetters);
            return !IsAddress(userAgent) && !Common.Contains(product) && !product.Contains(':')
                && firstLetter >= 0 && product[(firstLetter + 1)..].ContainsAny(AsciiLetters);
        }
    }

    private static readonly System.Buffers.SearchValues<char> AsciiLetters =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    private static List<Token> Tokens(string userAgent)
    {
        var tokens = new List<Token>(16);
        var start = -1;
        for (var i = 0; i <= userAgent.Length; i++)
        {
            var separator = i == userAgent.Length || userAgent[i] is ' ' or ';' or '(' or ')' or ',' or '[' or ']' or '"';
            if (separator && start >= 0)
            {
                tokens.Add(new Token(start, i - start));
                start = -1;
            }
            else if (!separator && start < 0)
            {
                start = i;
            }
        }

        return tokens;
    }

    private static string Host(string address)
    {
        var host = address.TrimStart('+');
        host = host.Contains("://", StringComparison.Ordinal) ? host[(host.IndexOf("://", StringComparison.Ordinal) + 3)..] : host;
        host = host.StartsWith("www.", StringComparison.OrdinalIgnoreCase) ? host[4..] : host;
        var end = host.IndexOfAny(['/', '?', '#', ':']);
        return end < 0 ? host : host[..end];
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
