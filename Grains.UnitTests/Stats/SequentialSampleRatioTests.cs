using BallOrleans.Web.Stats;
using MathNet.Numerics;
using Xunit.Abstractions;

namespace BallOrleans.Tests.Stats;

/// <summary>
/// The anytime-valid split check, by simulation: seeded, so every run sees the same visitors and
/// the same figures. Each simulated visitor costs one logarithm (the monitor's O(1) update).
/// </summary>
public sealed class SequentialSampleRatioTests(ITestOutputHelper output)
{
    private const int Experiments = 2_000;
    private const int VisitorsEach = 20_000;

    [Fact]
    public void Balanced_experiments_watched_after_every_visitor_alarm_at_most_alpha_of_the_time()
    {
        var random = new Random(20221116);
        int everAlarmed = 0, everAlarmedAt5Percent = 0;
        var threshold = -Math.Log(SequentialSampleRatio.Alpha);
        var threshold5 = -Math.Log(0.05);
        for (var experiment = 0; experiment < Experiments; experiment++)
        {
            var monitor = new SequentialSampleRatioMonitor(0.5);
            bool alarmed = false, alarmed5 = false;
            for (var visitor = 0; visitor < VisitorsEach; visitor++)
            {
                monitor.Observe(random.NextDouble() < 0.5);
                alarmed |= monitor.LogBayesFactor >= threshold;
                alarmed5 |= monitor.LogBayesFactor >= threshold5;
            }

            everAlarmed += alarmed ? 1 : 0;
            everAlarmedAt5Percent += alarmed5 ? 1 : 0;
        }

        output.WriteLine($"[figures] {Experiments} balanced experiments of {VisitorsEach} visitors, checked after every visitor: " +
            $"{everAlarmed} ever alarmed at alpha {SequentialSampleRatio.Alpha}, {everAlarmedAt5Percent} at alpha 0.05");
        Assert.True(everAlarmed <= SequentialSampleRatio.Alpha * Experiments, $"{everAlarmed} alarms");
        // The same runs at a looser alpha say more than a count of zero can: still at most alpha.
        Assert.True(everAlarmedAt5Percent <= 0.05 * Experiments, $"{everAlarmedAt5Percent} alarms at 0.05");
    }

    [Fact]
    public void The_chi_square_check_watched_the_same_way_alarms_far_more_often_than_its_nominal_rate()
    {
        // Why the sequential check exists: the same balanced experiments, chi-square at p < 0.05
        // after every 100th visitor (the page refreshes; it does not see every visitor).
        var random = new Random(20221116);
        var alarmed = 0;
        for (var experiment = 0; experiment < 500; experiment++)
        {
            long red = 0, blue = 0;
            var ever = false;
            for (var visitor = 1; visitor <= VisitorsEach; visitor++)
            {
                _ = random.NextDouble() < 0.5 ? red++ : blue++;
                ever |= visitor % 100 == 0 && SampleRatioMismatch.Check(red, 1, blue, 1).PValue < 0.05;
            }

            alarmed += ever ? 1 : 0;
        }

        output.WriteLine($"[figures] chi-square at p < 0.05 checked every 100 visitors: {alarmed} of 500 balanced experiments ever alarmed");
        Assert.True(alarmed > 0.15 * 500, $"{alarmed} of 500");
    }

    [Fact]
    public void A_50_5_to_49_5_split_is_flagged_within_500_000_visitors_and_a_55_to_45_split_within_10_000()
    {
        // Measured with these seeds (c = 10,000): 50.5/49.5 median 148,632, 90th percentile
        // 285,694, slowest 395,564 of 100; 55/45 median 4,484, 90th 5,868. Pinned with a margin.
        var small = VisitorsUntilFlagged(0.505, seed: 7, limit: 3_000_000);
        var gross = VisitorsUntilFlagged(0.55, seed: 8, limit: 1_000_000);
        output.WriteLine($"[figures] 50.5/49.5 flagged after median {small[50]:N0}, 90th percentile {small[90]:N0}, slowest {small[^1]:N0} visitors (100 experiments)");
        output.WriteLine($"[figures] 55/45 flagged after median {gross[50]:N0}, 90th percentile {gross[90]:N0}, slowest {gross[^1]:N0} visitors");
        Assert.True(small[^1] <= 500_000, $"slowest {small[^1]}");
        Assert.True(small[90] <= 350_000, $"90th percentile {small[90]}");
        Assert.True(gross[^1] <= 10_000, $"slowest {gross[^1]}");
    }

    [Fact]
    public void The_count_formula_equals_the_visitor_by_visitor_update_at_millions()
    {
        var random = new Random(3);
        var monitor = new SequentialSampleRatioMonitor(0.7);
        for (var visitor = 0; visitor < 3_000_000; visitor++)
        {
            monitor.Observe(random.NextDouble() < 0.7);
        }

        var fromCounts = SequentialSampleRatio.LogBayesFactor(monitor.A, 0.7, monitor.B, 0.3, SequentialSampleRatio.Concentration);
        Assert.Equal(monitor.LogBayesFactor, fromCounts, 1e-6);
        Assert.False(SequentialSampleRatio.Check(monitor.A, 70, monitor.B, 30).Flagged);
        // The same counts against the wrong weights are a mismatch beyond doubt, and stay finite.
        var wrong = SequentialSampleRatio.Check(monitor.A, 50, monitor.B, 50);
        Assert.True(wrong.Flagged);
        Assert.True(double.IsFinite(wrong.LogBayesFactor) && wrong.PValue < 1e-100);
    }

    // The library's log-gamma, held to the accuracy the Bayes factor at millions of visitors needs.
    [Theory]
    [InlineData(0.5, 0.57236494292470008)]
    [InlineData(1.0, 0.0)]
    [InlineData(3.0, 0.69314718055994531)]
    [InlineData(10.5, 13.940625219403763)]
    [InlineData(1_000_000.0, 12815504.569147611)]
    public void LogGamma_matches_reference_values(double x, double expected) =>
        Assert.Equal(expected, SpecialFunctions.GammaLn(x), Math.Max(1e-13, Math.Abs(expected) * 1e-14));

    [Fact]
    public void No_visitors_or_no_weight_is_never_flagged_and_one_look_at_an_even_split_favours_the_null()
    {
        Assert.Equal(1, SequentialSampleRatio.Check(0, 50, 0, 50).PValue);
        Assert.False(SequentialSampleRatio.Check(1000, 0, 0, 100).Flagged);
        var even = SequentialSampleRatio.Check(50_000, 50, 50_000, 50);
        Assert.True(even.LogBayesFactor < 0);
        Assert.Equal(1, even.PValue);
    }

    private static List<long> VisitorsUntilFlagged(double redShare, int seed, long limit)
    {
        var random = new Random(seed);
        var found = new List<long>();
        for (var experiment = 0; experiment < 100; experiment++)
        {
            var monitor = new SequentialSampleRatioMonitor(0.5);
            while (monitor.LogBayesFactor < -Math.Log(SequentialSampleRatio.Alpha) && monitor.A + monitor.B < limit)
            {
                monitor.Observe(random.NextDouble() < redShare);
            }

            found.Add(monitor.A + monitor.B);
        }

        found.Sort();
        return found;
    }
}
