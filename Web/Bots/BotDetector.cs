using System.Text.RegularExpressions;
using Microsoft.Extensions.Caching.Memory;

namespace BallOrleans.Web.Bots;

/// <summary>What the bot list says about one user agent: a bot (with its family) or not.</summary>
public readonly record struct BotVerdict(bool IsBot, string? Family)
{
    public static readonly BotVerdict Human = new(false, null);
}

/// <summary>
/// Tells bots from browsers by their user agent, with the patterns of <see cref="BotPatterns"/>
/// compiled once. Patterns .NET's linear-time engine (<see cref="RegexOptions.NonBacktracking"/>)
/// accepts form one regex. The few it refuses (lookarounds) run on the backtracking engine, on a
/// user agent capped at <see cref="MaxUserAgentLength"/> characters, under a timeout, and only when
/// a linear-time prefilter (the same patterns without their lookarounds) says they might match:
/// safe against hostile input and cheap for browsers. Patterns .NET cannot parse are skipped.
/// </summary>
public sealed partial class BotDetector : IDisposable
{
    /// <summary>Real browsers send under 300 characters; a longer user agent is not a person's browser.</summary>
    public const int MaxUserAgentLength = 1024;

    public const string OversizedFamily = "(oversized user agent)";
    public const string TimedOutFamily = "(unmatchable user agent)";

    // ExplicitCapture: nothing reads groups, and a pattern leaning on a numbered backreference
    // (which joining would renumber) fails to parse and is skipped rather than misapplied.
    private const RegexOptions Options = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture;

    // A backstop, far above the microseconds these patterns take: the clock runs through GC
    // pauses and preemption too, so a tight limit would misjudge browsers on a busy machine.
    private static readonly TimeSpan GuardedTimeout = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Distinct user agents whose verdicts are kept. A site's browsers send a few hundred strings
    /// between them, so nearly every request is a hit; a client that sends a new string each time
    /// only fills this many entries (MemoryCache's size limit refuses more until it compacts).
    /// </summary>
    public const int CachedVerdicts = 10_000;

    private static readonly MemoryCacheEntryOptions CachedEntry = new() { Size = 1, SlidingExpiration = TimeSpan.FromMinutes(30) };

    // The patterns cost microseconds per user agent (several alternations of hundreds of patterns);
    // the same strings come back on every visit of every visitor who uses that browser.
    private readonly MemoryCache _verdicts = new(new MemoryCacheOptions { SizeLimit = CachedVerdicts });

    private readonly Regex? _linear;
    private readonly Regex? _prefilter;
    private readonly Regex? _filtered;
    private readonly Regex? _unfiltered;

    public BotDetector(BotPatterns list, ILogger<BotDetector> logger)
    {
        var sorted = Sort(list.Patterns, screen: true);
        try
        {
            _linear = Join(sorted.Linear, Options | RegexOptions.NonBacktracking, Regex.InfiniteMatchTimeout);
        }
        catch (NotSupportedException)
        {
            // The screen let through a construct the linear-time engine refuses: ask it pattern by pattern.
            sorted = Sort(list.Patterns, screen: false);
            _linear = Join(sorted.Linear, Options | RegexOptions.NonBacktracking, Regex.InfiniteMatchTimeout);
        }

        _prefilter = Join([.. sorted.Filtered.Select(Lookarounds.Strip)], Options | RegexOptions.NonBacktracking, Regex.InfiniteMatchTimeout);
        _filtered = Join(sorted.Filtered, Options | RegexOptions.Compiled, GuardedTimeout);
        _unfiltered = Join(sorted.Unfiltered, Options | RegexOptions.Compiled, GuardedTimeout);
        Source = $"{list.Package} {list.Version}";
        LinearPatterns = sorted.Linear.Count;
        GuardedPatterns = [.. sorted.Filtered, .. sorted.Unfiltered];
        SkippedPatterns = sorted.Skipped;
        logger.LogDebug(
            "Bot list {Source}: {Linear} patterns on the linear-time engine; {Guarded} on the backtracking engine with a length cap ({Filtered} behind a linear-time prefilter): {GuardedList}; {Skipped} skipped as not valid .NET regular expressions: {SkippedList}",
            Source, LinearPatterns, GuardedPatterns.Count, sorted.Filtered.Count, string.Join(" ", GuardedPatterns), SkippedPatterns.Count, string.Join(" ", SkippedPatterns));
    }

    /// <summary>Which list and version, e.g. "isbot 5.2.3".</summary>
    public string Source { get; }

    public int LinearPatterns { get; }

    /// <summary>Patterns the linear-time engine refuses (lookarounds), run by the backtracking one.</summary>
    public IReadOnlyList<string> GuardedPatterns { get; }

    /// <summary>Patterns .NET cannot parse at all: not applied.</summary>
    public IReadOnlyList<string> SkippedPatterns { get; }

    /// <summary>User agents whose verdicts are kept now (at most <see cref="CachedVerdicts"/>).</summary>
    public int CachedVerdictCount => _verdicts.Count;

    public void Dispose() => _verdicts.Dispose();

    public BotVerdict Check(string? userAgent)
    {
        // No user agent at all is what simple HTTP clients (and tests) send; the list, like
        // isbot itself, does not call that a bot.
        if (string.IsNullOrEmpty(userAgent))
        {
            return BotVerdict.Human;
        }

        if (userAgent.Length > MaxUserAgentLength)
        {
            return new BotVerdict(true, OversizedFamily);
        }

        if (_verdicts.TryGetValue(userAgent, out BotVerdict known))
        {
            return known;
        }

        var verdict = Classify(userAgent);
        if (verdict.Family != TimedOutFamily) // a timeout says as much about the machine's load as about the string
        {
            _verdicts.Set(userAgent, verdict, CachedEntry);
        }

        return verdict;
    }

    private BotVerdict Classify(string userAgent)
    {
        if (_linear is not null && _linear.IsMatch(userAgent))
        {
            return new BotVerdict(true, BotFamily.Name(userAgent));
        }

        try
        {
            var bot = (_prefilter is not null && _prefilter.IsMatch(userAgent) && _filtered!.IsMatch(userAgent))
                || (_unfiltered is not null && _unfiltered.IsMatch(userAgent));
            return bot ? new BotVerdict(true, BotFamily.Name(userAgent)) : BotVerdict.Human;
        }
        catch (RegexMatchTimeoutException)
        {
            // Not seen with the pinned list; input built to stall the engine is not a browser.
            return new BotVerdict(true, TimedOutFamily);
        }
    }

    private sealed record Sorted(List<string> Linear, List<string> Filtered, List<string> Unfiltered, List<string> Skipped);

    private static Sorted Sort(IEnumerable<string> patterns, bool screen)
    {
        var sorted = new Sorted([], [], [], []);
        foreach (var pattern in patterns)
        {
            if (!Parses(pattern, Options))
            {
                sorted.Skipped.Add(pattern);
            }
            else if ((screen && !MayNeedBacktracking(pattern)) || Parses(pattern, Options | RegexOptions.NonBacktracking))
            {
                sorted.Linear.Add(pattern);
            }
            else if (Parses(Lookarounds.Strip(pattern), Options | RegexOptions.NonBacktracking))
            {
                sorted.Filtered.Add(pattern);
            }
            else
            {
                sorted.Unfiltered.Add(pattern); // e.g. backreferences: no linear-time superset at hand
            }
        }

        return sorted;
    }

    // Only these spellings can hold what the linear-time engine refuses (lookarounds, atomic and
    // conditional groups, backreferences, \G). Screening saves building a linear-time regex per
    // pattern (most of a second at start-up); should it miss one, building the joined regex throws
    // and every pattern is asked.
    private static bool MayNeedBacktracking(string pattern) =>
        pattern.Replace("(?:", "", StringComparison.Ordinal).Contains("(?", StringComparison.Ordinal) || BackreferenceOrAnchor().IsMatch(pattern);

    private static bool Parses(string pattern, RegexOptions options)
    {
        try
        {
            _ = new Regex(pattern, options);
            return true;
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            return false;
        }
    }

    private static Regex? Join(IReadOnlyCollection<string> patterns, RegexOptions options, TimeSpan timeout) =>
        patterns.Count == 0 ? null : new Regex(string.Join('|', patterns.Select(p => $"(?:{p})")), options, timeout);

    [GeneratedRegex(@"\\[1-9kG]")]
    private static partial Regex BackreferenceOrAnchor();
}
