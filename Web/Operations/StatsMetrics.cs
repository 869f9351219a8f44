using System.Diagnostics.Metrics;
using BallOrleans.Grains.Diagnostics;
using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;
using BallOrleans.Web.Bots;
using BallOrleans.Web.Stats;

namespace BallOrleans.Web.Operations;

/// <summary>
/// The stats as Prometheus gauges: the split alert's family (the assigned visitors, every browser
/// and each browser family, each with the alpha its weight gives it) and the remaining visitors'
/// check (descriptive), chi-square and anytime-valid; the waterfall's all-time stages and
/// residuals; and the stats lag. Read every <see cref="Interval"/> in the background (the totals,
/// assigned counters and erasure ledger from the report's one snapshot, the in-memory counters):
/// a scrape only reads the last figures, and a scrape of every web process costs the database
/// nothing. The lag is measured at the scrape, so a refresh that stops (the database is down)
/// shows as a growing lag.
/// </summary>
public sealed class StatsMetrics(BotFigures inMemory, StatsReports reports, TimeProvider clock, ILogger<StatsMetrics> logger)
    : BackgroundService
{
    public const string MeterName = "BallOrleans.Stats";
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private static readonly Meter Meter = new(MeterName, "1.0");

    // Static like the meter: one web process serves one site (tests that start several share it).
    private static Figures? _latest;

    static StatsMetrics()
    {
        Meter.CreateObservableGauge("ball.split_check.p_value", () => Checks(c => c.Srm.PValue, c => c.Srm.Sequential?.PValue),
            description: "Split check p-value, per population (assigned: counted apart from erasures; remaining), browser (all, or the family of the first visit) and test (chi_square; sequential, anytime-valid)");
        Meter.CreateObservableGauge("ball.split_check.flagged", () => Checks(c => c.Srm.Flagged ? 1 : 0, c => c.Srm.Sequential is { Flagged: true } ? 1 : 0),
            description: "1 when the split check is flagged at its alpha (ball_split_check_alpha): p < alpha; the sequential test's Bayes factor >= 1/alpha, or latched since it once was (ball_split_check_latched)");
        Meter.CreateObservableGauge("ball.split_check.alpha", () => (_latest?.Checks ?? []).Select(c =>
            new Measurement<double>(c.Srm.Alpha, Tag("population", c.Population), Tag("browser", c.Browser))),
            description: "The false-alarm rate the check is flagged at: 0.001 times its Bonferroni weight in the split alert's family (assigned), 0.001 outside it (remaining)");
        Meter.CreateObservableGauge("ball.split_check.log_bayes_factor", () => (_latest?.Checks ?? []).Where(c => c.Srm.Sequential is not null).Select(c =>
            new Measurement<double>(c.Srm.Sequential!.LogBayesFactor, Tag("population", c.Population), Tag("browser", c.Browser))),
            description: "The anytime-valid split check's statistic: log of the Dirichlet-multinomial mixture's Bayes factor (flagged from ln(1/alpha))");
        Meter.CreateObservableGauge("ball.split_check.latched", () => (_latest?.Checks ?? []).Where(c => c.Population == StatsReports.AssignedPopulation).Select(c =>
            new Measurement<int>(c.Srm.Sequential?.Latched is null ? 0 : 1, Tag("population", c.Population), Tag("browser", c.Browser))),
            description: "1 once the split alert's anytime-valid check has crossed its threshold (stored with its time and counts, ball_split_check_latched): it stays 1 when the statistic falls back; the alert pages on it");
        Meter.CreateObservableGauge("ball.waterfall.requests", () => Stages(f => f.Requests),
            description: "Exposure waterfall, all time: requests per stage, reason and arm (in-memory stages since each web process started; residual inMemory and stored must be 0)");
        Meter.CreateObservableGauge("ball.waterfall.visitors", () => Stages(f => f.Visitors),
            description: "Exposure waterfall, all time: visitors per stage, reason and arm, where the stage has visitors (residual stored must be 0)");
        Meter.CreateObservableGauge("ball.stats.lag", () => _latest is { } f ? [new Measurement<double>(f.Lag.TotalSeconds)] : Array.Empty<Measurement<double>>(),
            unit: "s", description: "How old the stats totals this process serves were when last read; once the reading stops, their age now");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The 503 counter exists from the start, so that rate() sees its first increment.
        foreach (var outcome in new[] { Visits.VisitEndpoints.NotCounted, Visits.VisitEndpoints.Unknown })
        {
            BallMetrics.VisitsUnavailable.Add(0, new KeyValuePair<string, object?>("outcome", outcome));
        }

        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                var (snapshot, remaining) = await reports.TotalsAsync();
                var counts = await inMemory.SumAsync();
                // No days: the metrics are of all time.
                var noDays = new RangeStats(DateOnly.MinValue, DateOnly.MinValue, [], [], new(BallColor.Red, 0, 0), new(BallColor.Blue, 0, 0), [], ErasureBooks.None);
                var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
                _latest = new Figures(snapshot.AsOf, clock.GetUtcNow(), clock,
                    [.. (await reports.LatchedFamilyAsync(snapshot, stoppingToken)).Select(c => new Check(StatsReports.AssignedPopulation, c.Member.Name, c.Srm)), new("remaining", SplitChecks.EveryBrowser, remaining)],
                    Waterfall.Build(snapshot, noDays, counts.Exposures, BotCountsPusher.Interval, today, reports.Srm, reports.ChiSquare).AllTime);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogDebug("Stats metrics not refreshed ({Error}); the lag grows until they are", ex.GetType().Name);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static IEnumerable<Measurement<double>> Checks(Func<Check, double> chiSquare, Func<Check, double?> sequential)
    {
        foreach (var c in _latest?.Checks ?? [])
        {
            yield return new Measurement<double>(chiSquare(c), Tag("population", c.Population), Tag("browser", c.Browser), Tag("test", "chi_square"));
            if (sequential(c) is { } value)
            {
                yield return new Measurement<double>(value, Tag("population", c.Population), Tag("browser", c.Browser), Tag("test", "sequential"));
            }
        }
    }

    private static IEnumerable<Measurement<long>> Stages(Func<ArmFigures, long?> value) =>
        (_latest?.Waterfall.Stages ?? []).SelectMany(s => new[] { ("red", s.Red), ("blue", s.Blue) }
            .Where(a => value(a.Item2) is not null)
            .Select(a => new Measurement<long>(value(a.Item2)!.Value, Tag("stage", s.Stage), Tag("reason", s.Reason ?? ""), Tag("arm", a.Item1))));

    private static KeyValuePair<string, object?> Tag(string name, object? value) => new(name, value);

    private sealed record Check(string Population, string Browser, SrmResult Srm);

    private sealed record Figures(DateTimeOffset AsOf, DateTimeOffset Read, TimeProvider Clock, IReadOnlyList<Check> Checks, WaterfallSlice Waterfall)
    {
        // The totals' age when this process last read them, not the age of this sample (which
        // waits up to an interval for the next read); a read overdue by an interval means the
        // reading stopped, and then the age keeps growing.
        public TimeSpan Lag => Clock.GetUtcNow() - Read > 2 * Interval ? Clock.GetUtcNow() - AsOf : Read - AsOf;
    }
}
