using BallOrleans.Tests.Infrastructure;
using System.Text.RegularExpressions;
using BallOrleans.Web.Bots;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace BallOrleans.Tests.Bots;

/// <summary>The bot list against public corpora it was not built from: the targets of issue 11.</summary>
public sealed class BotListCorpusTests(ITestOutputHelper output)
{
    private static readonly BotDetector Detector = new(BotPatterns.Embedded(), NullLogger<BotDetector>.Instance);

    [Fact]
    public void At_least_99_percent_of_crawler_user_agents_are_not_counted()
    {
        var sources = new (string Name, IReadOnlyList<string> UserAgents)[]
        {
            ("crawler-user-agents 1.60.0 examples", UserAgentCorpus.CrawlerUserAgentsExamples()),
            ("uap-core 0.16.0 Spider tests", UserAgentCorpus.UapCoreSpiders()),
        };
        var missed = new List<string>();
        foreach (var (name, userAgents) in sources)
        {
            var through = userAgents.Where(ua => !Detector.Check(ua).IsBot).ToList();
            TestReport.Figures(output, $"bots: {name}: {userAgents.Count - through.Count} of {userAgents.Count} excluded ({Percent(userAgents.Count - through.Count, userAgents.Count)})");
            missed.AddRange(through);
        }

        var all = sources.SelectMany(s => s.UserAgents).Distinct(StringComparer.Ordinal).ToList();
        var excluded = all.Count - missed.Distinct(StringComparer.Ordinal).Count();
        TestReport.Figures(output, $"bots: all crawlers: {excluded} of {all.Count} excluded ({Percent(excluded, all.Count)}); let through:");
        foreach (var ua in missed.Distinct(StringComparer.Ordinal))
        {
            output.WriteLine($"  {ua}");
        }

        Assert.True(all.Count >= 2000, $"only {all.Count} crawler user agents: the corpus did not install whole");
        Assert.True(excluded >= 0.99 * all.Count, $"{excluded} of {all.Count} crawlers excluded, under 99%");
    }

    [Fact]
    public void Not_one_of_thousands_of_real_browser_user_agents_is_excluded()
    {
        var browsers = UserAgentCorpus.Browsers();

        var excluded = browsers.Where(ua => Detector.Check(ua).IsBot).ToList();

        TestReport.Figures(output, $"bots: user-agents 2.1.100 browsers: {excluded.Count} of {browsers.Count} excluded");
        Assert.True(browsers.Count >= 1000, $"only {browsers.Count} browser user agents: the corpus did not install whole");
        Assert.Empty(excluded);
    }

    // The linear-time regex, the prefilter and the backtracking rest must together say exactly
    // what one plain regex of the whole list says.
    [Fact]
    [Trait(TestSpeed.Trait, TestSpeed.Slow)] // one regex of the whole list compiles for 15-30 s here
    public void The_split_engines_agree_with_one_regex_of_the_whole_list()
    {
        var whole = new Regex(string.Join('|', BotPatterns.Embedded().Patterns.Select(p => $"(?:{p})")), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        var corpus = UserAgentCorpus.Browsers().Concat(UserAgentCorpus.CrawlerUserAgentsExamples()).Concat(UserAgentCorpus.UapCoreSpiders())
            .Append("Mozilla/5.0 (Linux; Android 9; CUBOT KING KONG CS) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/86.0.4240.198 Mobile Safari/537.36");

        var disagreements = corpus.Where(ua => Detector.Check(ua).IsBot != whole.IsMatch(ua)).ToList();

        Assert.Empty(disagreements);
    }

    private static string Percent(int part, int whole) => $"{100.0 * part / whole:F2}%";
}
