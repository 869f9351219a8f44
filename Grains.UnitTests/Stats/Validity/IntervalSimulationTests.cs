using BallOrleans.Tests.Bots;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Web.Stats;
using Xunit.Abstractions;

namespace BallOrleans.Tests.Stats.Validity;

/// <summary>
/// The per-arm and between-arm intervals (<see cref="ArmEstimate"/>, <see cref="ArmDifference"/>)
/// by simulation, seeded: coverage of the fixed-horizon interval at its horizon, coverage of the
/// anytime-valid interval over every look, and the power to find a 5% difference in views per
/// visitor.
/// </summary>
/// <remarks>
/// Assumptions of the simulated world: visitors independent; each drawn into red with the
/// weights' share; views per visitor 1 + a geometric count (at least one view, a long right tail,
/// as returning visits are), mean 2 in red and 2.1 in blue (a 5% difference). Coverage is held to
/// <see cref="BinomialBound"/> at α = 0.05: a valid 95% interval passes with probability 0.999
/// for a given seed, and the fixed-horizon one must also not cover much more than 95%.
/// </remarks>
public sealed class IntervalSimulationTests(ITestOutputHelper output)
{
    private const double RedMean = 2.0;
    private const double BlueMean = 2.1;
    private const double TrueDifference = BlueMean - RedMean;
    private const double TrueRelative = BlueMean / RedMean - 1;

    [Fact]
    public void The_fixed_horizon_intervals_cover_the_truth_95_percent_of_the_time_at_their_horizon()
    {
        var cpu = ThreadCpuClock.Now();
        const int experiments = 2_000, visitors = 2_000;
        var random = new Random(27_071);
        int redMissed = 0, absoluteMissed = 0, relativeMissed = 0;
        for (var experiment = 0; experiment < experiments; experiment++)
        {
            var (red, blue) = Run(random, visitors, 0.5);
            redMissed += ArmEstimate.Of(red)!.FixedHorizon.Contains(RedMean) ? 0 : 1;
            var difference = ArmDifference.Of(red, blue)!;
            absoluteMissed += difference.Absolute.FixedHorizon.Contains(TrueDifference) ? 0 : 1;
            relativeMissed += difference.Relative.FixedHorizon.Contains(TrueRelative) ? 0 : 1;
        }

        var (fewest, most) = (BinomialBound.Fewest(experiments, 0.05), BinomialBound.Most(experiments, 0.05));
        TestReport.Figures(output, $"fixed-horizon 95% intervals read once at {visitors:N0} visitors, {experiments} experiments: missed red's mean {redMissed}, the difference {absoluteMissed}, the relative difference {relativeMissed} times (allowed {fewest}–{most}) [{CpuSeconds(cpu)}]");
        Assert.InRange(redMissed, fewest, most);
        Assert.InRange(absoluteMissed, fewest, most);
        Assert.InRange(relativeMissed, fewest, most);
    }

    [Fact]
    public void The_anytime_valid_intervals_cover_the_truth_at_every_look_at_once_and_the_fixed_horizon_ones_watched_so_do_not()
    {
        var cpu = ThreadCpuClock.Now();
        // 70/30, looked at after every visitor from the first look an interval is given
        // (100 visitors in each arm). "Missed" means outside at some look.
        const int experiments = 300, visitors = 10_000;
        var random = new Random(27_072);
        int absoluteMissed = 0, relativeMissed = 0, watchedFixedMissed = 0;
        for (var experiment = 0; experiment < experiments; experiment++)
        {
            ArmSums red = default, blue = default;
            bool absolute = false, relative = false, watchedFixed = false;
            for (var visitor = 0; visitor < visitors; visitor++)
            {
                if (random.NextDouble() < 0.7)
                {
                    red = red.Add(Views(random, RedMean));
                }
                else
                {
                    blue = blue.Add(Views(random, BlueMean));
                }

                if (ArmDifference.Of(red, blue) is { } difference)
                {
                    absolute |= !difference.Absolute.AnytimeValid.Contains(TrueDifference);
                    relative |= !difference.Relative.AnytimeValid.Contains(TrueRelative);
                    watchedFixed |= !difference.Absolute.FixedHorizon.Contains(TrueDifference);
                }
            }

            absoluteMissed += absolute ? 1 : 0;
            relativeMissed += relative ? 1 : 0;
            watchedFixedMissed += watchedFixed ? 1 : 0;
        }

        var most = BinomialBound.Most(experiments, 0.05);
        TestReport.Figures(output, $"anytime-valid 95% intervals looked at after every visitor up to {visitors:N0} (70/30), {experiments} experiments: ever missed the difference {absoluteMissed}, the relative difference {relativeMissed} times (bound {most}); the fixed-horizon interval watched the same way {watchedFixedMissed} [{CpuSeconds(cpu)}]");
        Assert.InRange(absoluteMissed, 0, most);
        Assert.InRange(relativeMissed, 0, most);
        // The control: the harness catches an interval that is not valid when watched.
        Assert.True(watchedFixedMissed > most, $"the watched fixed-horizon interval missed {watchedFixedMissed} times");
    }

    [Fact]
    public void A_5_percent_difference_in_views_is_found_with_the_power_the_fixed_horizon_design_promises_and_the_anytime_valid_interval_within_its_band()
    {
        var cpu = ThreadCpuClock.Now();
        // Fixed horizon: n per arm = (z₀.₉₇₅ + z₀.₈)² (σ_red² + σ_blue²) / δ² gives 80% power;
        // with the geometric views, σ² = μ(μ − 1).
        var z = NormalMixtureBoundary.FixedHorizon + MathNet.Numerics.Distributions.Normal.InvCDF(0, 1, 0.8);
        var perArm = (int)Math.Ceiling(z * z * (RedMean * (RedMean - 1) + BlueMean * (BlueMean - 1)) / (TrueDifference * TrueDifference));
        const int experiments = 400;
        var random = new Random(27_073);
        var found = 0;
        for (var experiment = 0; experiment < experiments; experiment++)
        {
            var (red, blue) = Run(random, 2 * perArm, 0.5);
            found += ArmDifference.Of(red, blue)!.Absolute.FixedHorizon.ExcludesZero ? 1 : 0;
        }

        // Anytime-valid: visitors (both arms, 50/50) until the interval first leaves 0 out.
        var needed = new List<long>();
        for (var experiment = 0; experiment < 100; experiment++)
        {
            ArmSums red = default, blue = default;
            while (ArmDifference.Of(red, blue) is not { Absolute.AnytimeValid.ExcludesZero: true } && red.Visitors + blue.Visitors < 1_000_000)
            {
                if (random.NextDouble() < 0.5)
                {
                    red = red.Add(Views(random, RedMean));
                }
                else
                {
                    blue = blue.Add(Views(random, BlueMean));
                }
            }

            needed.Add(red.Visitors + blue.Visitors);
        }

        needed.Sort();
        // Measured with these seeds: median 8,882, 90th percentile 15,439. The band is ±25% around
        // each: a change of the boundary or of its planned horizon that moves power that much is a
        // deliberate change (slower: it misses real effects; faster: suspect its coverage).
        TestReport.Figures(output, $"a 5% difference in views per visitor: the fixed-horizon interval at {perArm:N0} per arm (planned for 80%) found it in {found} of {experiments}; the anytime-valid interval after median {needed[50]:N0}, 90th percentile {needed[90]:N0} visitors (100 experiments) [{CpuSeconds(cpu)}]");
        Assert.InRange(found, BinomialBound.Fewest(experiments, 0.8), BinomialBound.Most(experiments, 0.8));
        Assert.InRange(needed[50], 6_700, 11_100);
        Assert.InRange(needed[90], 11_600, 19_300);
    }

    private static (ArmSums Red, ArmSums Blue) Run(Random random, int visitors, double redShare)
    {
        ArmSums red = default, blue = default;
        for (var visitor = 0; visitor < visitors; visitor++)
        {
            if (random.NextDouble() < redShare)
            {
                red = red.Add(Views(random, RedMean));
            }
            else
            {
                blue = blue.Add(Views(random, BlueMean));
            }
        }

        return (red, blue);
    }

    // 1 + a geometric count of further views: P(k views) = (1 − q) q^(k−1), mean 1 / (1 − q).
    private static double Views(Random random, double mean) =>
        1 + Math.Floor(Math.Log(1 - random.NextDouble()) / Math.Log(1 - 1 / mean));

    // The thread's CPU time, which other processes on the shared machine do not inflate.
    private static string CpuSeconds(TimeSpan? start) =>
        ThreadCpuClock.Now() - start is { } used ? $"{used.TotalSeconds:0.0} s CPU" : "CPU time unknown";
}
