using BallOrleans.Web.Bots;
using Microsoft.Extensions.Logging.Abstractions;

namespace BallOrleans.Tests.Bots;

public sealed class BotDetectorTests
{
    private static readonly BotDetector Detector = new(BotPatterns.Embedded(), NullLogger<BotDetector>.Instance);

    [Fact]
    public void The_pinned_list_is_applied_whole_six_lookaround_patterns_on_the_guarded_engine_none_skipped()
    {
        Assert.Equal("isbot 5.2.3", Detector.Source);
        Assert.Empty(Detector.SkippedPatterns);
        Assert.Equal(6, Detector.GuardedPatterns.Count);
        Assert.All(Detector.GuardedPatterns, p => Assert.Matches(@"\(\?<?!", p));
        Assert.Equal(BotPatterns.Embedded().Patterns.Count, Detector.LinearPatterns + Detector.GuardedPatterns.Count);
    }

    [Theory]
    // The lookarounds carry the list's exceptions: a CUBOT phone is not a bot, a "…bot" is.
    [InlineData("Mozilla/5.0 (Linux; Android 9; CUBOT KING KONG CS) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/86.0.4240.198 Mobile Safari/537.36", false)]
    [InlineData("Mozilla/5.0 (compatible; ExampleBot/1.0)", true)]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", false)]
    [InlineData("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1", false)]
    [InlineData("curl/8.5.0", true)]
    [InlineData("", false)]
    public void Tells_bots_from_browsers(string userAgent, bool bot) =>
        Assert.Equal(bot, Detector.Check(userAgent).IsBot);

    [Fact]
    public void A_cached_verdict_is_the_verdict_and_the_cache_stays_bounded()
    {
        using var detector = new BotDetector(BotPatterns.Embedded(), NullLogger<BotDetector>.Instance);
        var corpus = UserAgentCorpus.Browsers().Concat(UserAgentCorpus.CrawlerUserAgentsExamples()).ToArray();
        var first = corpus.Select(detector.Check).ToArray();
        Assert.Equal(first, corpus.Select(detector.Check));
        Assert.Equal(first, corpus.Select(Detector.Check)); // another instance, its own cache
        Assert.Contains(first, v => v.IsBot);

        // A client sending a fresh string every time fills the cache to its limit, no further.
        for (var i = 0; i < BotDetector.CachedVerdicts * 2; i++)
        {
            detector.Check($"Mozilla/5.0 (X11; Linux x86_64) Gecko/{i} Firefox/128.0");
        }

        Assert.InRange(detector.CachedVerdictCount, 1, BotDetector.CachedVerdicts);
    }

    [Fact]
    public void A_user_agent_longer_than_any_browser_sends_is_a_bot_unread()
    {
        var verdict = Detector.Check("Mozilla/5.0 " + new string('x', BotDetector.MaxUserAgentLength));

        Assert.Equal(new BotVerdict(true, BotDetector.OversizedFamily), verdict);
    }

    // Not timed (the charter forbids it): a stall here would hang the run, which the blame-hang
    // timeout reports. Shaped against the list's heaviest patterns: long runs for the anchored
    // ones, many optional version parts, and near-misses of the lookarounds.
    [Fact]
    public void Hostile_user_agents_get_an_ordinary_verdict()
    {
        string[] hostile =
        [
            new string('a', BotDetector.MaxUserAgentLength),
            new string(' ', BotDetector.MaxUserAgentLength),
            "a/1" + string.Concat(Enumerable.Repeat(".1", 500)) + "x",
            string.Concat(Enumerable.Repeat(" cu", 340)),
            string.Concat(Enumerable.Repeat("Mozilla/5.0 (", 78)),
        ];

        Assert.All(hostile, ua => Assert.NotEqual(BotDetector.TimedOutFamily, Detector.Check(ua).Family));
    }

    [Theory]
    [InlineData("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Googlebot")]
    [InlineData("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36", "bingbot")]
    [InlineData("python-requests/2.31.0", "python-requests")]
    [InlineData("curl/8.5.0", "curl")]
    [InlineData("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "facebookexternalhit")]
    [InlineData("Audisto Crawler (desktop; +https://audisto.com/bot)", "Audisto Crawler")]
    [InlineData("Mozilla/5.0 (compatible; Google-InspectionTool/1.0)", "Google-InspectionTool")]
    [InlineData("Barkrowler/0.9 (+http://www.exensa.com/crawl)", "Barkrowler")]
    [InlineData("Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5 Build/MRA58N) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/74.0.3694.0 Mobile Safari/537.36 Chrome-Lighthouse", "Chrome-Lighthouse")]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/78.0.3904.97 Safari/537.36 +https://www.mirrorweb.com", "mirrorweb.com")]
    public void Bot_families_are_short_readable_names(string userAgent, string family) =>
        Assert.Equal(family, Detector.Check(userAgent).Family);

    [Fact]
    public void A_family_name_keeps_only_plain_characters_and_is_short()
    {
        var family = Detector.Check("<script>alert(1)</script>Evil" + new string('X', 60) + "Bot/1.0")!.Family!;

        Assert.True(family.Length <= BotFamily.MaxLength, family);
        Assert.Matches("^[A-Za-z0-9 ._()-]+$", family);
    }
}
