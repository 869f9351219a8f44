using System.Numerics;
using BallOrleans.Tests.Bots;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Web.Stats;
using Xunit.Abstractions;

namespace BallOrleans.Tests.Stats.Validity;

/// <summary>
/// The split alert's anytime-valid check (<see cref="SequentialSampleRatio"/>, c = 10,000) by
/// simulation, seeded: every run sees the same visitors and the same figures.
/// </summary>
/// <remarks>
/// Assumptions, and why they are the site's:
/// <list type="bullet">
/// <item>Each new visitor lands in red with the configured share, independently of every other
/// visitor: <c>ColorAssignment</c> hashes a 128-bit random id with a fixed salt.</item>
/// <item>The check is looked at after every visitor and every erasure, more often than any page
/// refresh or scrape can, so a rate that holds here holds for them.</item>
/// <item>"Assigned" is one more at every visitor's first store and never one less
/// (<c>ball_stats_assign</c>, migration 008); <see cref="Books"/> keeps the counters that way, and
/// <c>Grains.Tests/Privacy/ErasureLedgerTests</c> holds PostgreSQL's to it.</item>
/// <item>α = 0.05 here, not the site's 0.001: at 0.001 a valid and a broken check both show almost
/// no alarms in any number of runs that fits in seconds; at 0.05 the positive control can, and
/// must, fail. Ville's inequality bounds the rate for every α alike.</item>
/// <item>Rates are held to <see cref="BinomialBound"/>: a valid check (true rate ≤ α) passes with
/// probability 0.999 for a given seed.</item>
/// </list>
/// </remarks>
public sealed class SplitCheckSimulationTests(ITestOutputHelper output)
{
    private const double Alpha = 0.05;
    private const int Experiments = 1_000;
    private const int VisitorsEach = 20_000;
    private static readonly double Threshold = Math.Log(1 / Alpha);

    [Fact]
    public void The_assigned_check_watched_after_every_visitor_at_50_50_alarms_at_most_alpha_of_the_time()
    {
        var cpu = ThreadCpuClock.Now();
        var random = new Random(27_061);
        var alarms = 0;
        for (var experiment = 0; experiment < Experiments; experiment++)
        {
            var check = new SequentialSampleRatioMonitor(0.5);
            var alarmed = false;
            for (var visitor = 0; visitor < VisitorsEach && !alarmed; visitor++)
            {
                check.Observe(random.NextDouble() < 0.5);
                alarmed = check.LogBayesFactor >= Threshold;
            }

            alarms += alarmed ? 1 : 0;
        }

        var most = BinomialBound.Most(Experiments, Alpha);
        TestReport.Figures(output, $"assigned check, 50/50, watched after every visitor: {alarms} of {Experiments} experiments of {VisitorsEach:N0} ever alarmed at alpha {Alpha} (bound {most}) [{CpuSeconds(cpu)}]");
        Assert.InRange(alarms, 0, most);
    }

    [Fact]
    public void The_assigned_check_at_70_30_stays_valid_under_erasures_that_depend_on_the_arm_while_a_check_of_what_remains_does_not()
    {
        var cpu = ThreadCpuClock.Now();
        // 30% of red visitors and 5% of blue ask to be forgotten, each some time after their first
        // visit: the ball changes who leaves. Every erasure is one more look.
        var random = new Random(27_062);
        int assignedAlarms = 0, remainingFlagged = 0;
        for (var experiment = 0; experiment < Experiments; experiment++)
        {
            var books = new Books(0.7);
            var pending = new PriorityQueue<bool, int>();
            var alarmed = false;
            for (var visitor = 0; visitor < VisitorsEach; visitor++)
            {
                while (pending.TryPeek(out var red, out var due) && due <= visitor)
                {
                    pending.Dequeue();
                    books.Erase(red);
                    alarmed |= books.Assigned.LogBayesFactor >= Threshold;
                }

                var isRed = random.NextDouble() < 0.7;
                books.Assign(isRed);
                if (random.NextDouble() < (isRed ? 0.30 : 0.05))
                {
                    pending.Enqueue(isRed, visitor + 1 + random.Next(2_000));
                }

                alarmed |= books.Assigned.LogBayesFactor >= Threshold;
            }

            Assert.Equal(VisitorsEach, books.Assigned.A + books.Assigned.B);
            assignedAlarms += alarmed ? 1 : 0;
            remainingFlagged += SequentialSampleRatio.Check(books.RemainingRed, 70, books.RemainingBlue, 30, Alpha).Flagged ? 1 : 0;
        }

        var most = BinomialBound.Most(Experiments, Alpha);
        TestReport.Figures(output, $"70/30, 30% of red and 5% of blue erased: assigned check ever alarmed in {assignedAlarms} of {Experiments} (bound {most}); the same check of those remaining flagged at the end of {remainingFlagged} [{CpuSeconds(cpu)}]");
        Assert.InRange(assignedAlarms, 0, most);
        // The erasures are strong enough to matter: a check that counted them would be wrong.
        Assert.True(remainingFlagged > most, $"remaining flagged {remainingFlagged} times");
    }

    [Fact]
    public void Positive_control_the_same_check_on_visitors_remaining_under_arm_independent_retention_fails_the_bound()
    {
        var cpu = ThreadCpuClock.Now();
        // Retention erases every visitor a fixed window after their (only) visit, whatever their
        // ball: the null holds for "remaining" at every moment, yet its count moves both ways and
        // the statistic is no martingale. Over 25 windows it gets 25 fresh chances to cross. A
        // failure here is the harness catching an invalid check, not power. Visitors come in
        // blocks of 64 (one random 64-bit word: each bit a fair arm), and the check is looked at
        // after each block with the site's own count formula, its log-gammas tabulated once per
        // count: fewer looks than after every visitor, which can only lower the alarm rate.
        const int block = 64, blocksPerWindow = 1_600, windows = 25, experiments = 150;
        var countFormula = new TabulatedCountFormula(0.5, block * (blocksPerWindow + 1));
        Assert.Equal(SequentialSampleRatio.LogBayesFactor(51_000, 0.5, 50_000, 0.5, SequentialSampleRatio.Concentration), countFormula.LogBayesFactor(51_000, 50_000), 1e-6);
        var random = new Random(27_063);
        Span<byte> bits = stackalloc byte[8];
        var alarms = 0;
        for (var experiment = 0; experiment < experiments; experiment++)
        {
            var retained = new Queue<int>(blocksPerWindow + 1);
            long red = 0, blue = 0;
            var alarmed = false;
            for (var step = 0; step < blocksPerWindow * windows && !alarmed; step++)
            {
                random.NextBytes(bits);
                var redInBlock = BitOperations.PopCount(BitConverter.ToUInt64(bits));
                (red, blue) = (red + redInBlock, blue + block - redInBlock);
                retained.Enqueue(redInBlock);
                if (retained.Count > blocksPerWindow)
                {
                    var erasedRed = retained.Dequeue();
                    (red, blue) = (red - erasedRed, blue - (block - erasedRed));
                }

                alarmed = countFormula.LogBayesFactor(red, blue) >= Threshold;
            }

            alarms += alarmed ? 1 : 0;
        }

        var most = BinomialBound.Most(experiments, Alpha);
        TestReport.Figures(output, $"positive control: the check of those remaining, retention window {block * blocksPerWindow:N0} visitors, {windows} windows: {alarms} of {experiments} ever alarmed at alpha {Alpha} (bound {most}) [{CpuSeconds(cpu)}]");
        Assert.True(alarms > most, $"{alarms} alarms, bound {most}: the harness did not catch a check known to be invalid");
    }

    [Fact]
    public void A_50_5_to_49_5_split_is_flagged_at_alpha_0_05_after_a_number_of_visitors_within_its_band()
    {
        var cpu = ThreadCpuClock.Now();
        // 100 experiments, each watched after every visitor until flagged. Measured with this seed:
        // median 69,025, 90th percentile 151,511. The band is ±25% around the median: a change of
        // the prior's concentration or of the formula that moves power that much, either way, is a
        // deliberate change (slower: the check misses real mismatches; faster: suspect validity).
        var random = new Random(27_064);
        var needed = new List<long>();
        for (var experiment = 0; experiment < 100; experiment++)
        {
            var check = new SequentialSampleRatioMonitor(0.5);
            while (check.LogBayesFactor < Threshold && check.A + check.B < 3_000_000)
            {
                check.Observe(random.NextDouble() < 0.505);
            }

            needed.Add(check.A + check.B);
        }

        needed.Sort();
        TestReport.Figures(output, $"50.5/49.5 at alpha {Alpha}: flagged after median {needed[50]:N0}, 90th percentile {needed[90]:N0}, slowest {needed[^1]:N0} visitors (100 experiments) [{CpuSeconds(cpu)}]");
        Assert.InRange(needed[50], 52_000, 86_000);
        Assert.InRange(needed[90], 110_000, 190_000);
    }

    [Fact]
    public void The_incremental_statistic_of_the_simulations_equals_the_count_formula()
    {
        var random = new Random(5);
        var counts = new CountsBayesFactor(0.7, SequentialSampleRatio.Concentration);
        for (var step = 0; step < 200_000; step++)
        {
            var red = random.NextDouble() < 0.7;
            if (step % 3 == 2 && (red ? counts.A : counts.B) > 0)
            {
                counts.Remove(red);
            }
            else
            {
                counts.Add(red);
            }
        }

        Assert.Equal(SequentialSampleRatio.LogBayesFactor(counts.A, 0.7, counts.B, 0.3, SequentialSampleRatio.Concentration), counts.LogBayesFactor, 1e-6);
    }

    // The thread's CPU time, which other processes on the shared machine do not inflate.
    private static string CpuSeconds(TimeSpan? start) =>
        ThreadCpuClock.Now() - start is { } used ? $"{used.TotalSeconds:0.0} s CPU" : "CPU time unknown";

    /// <summary>The stored counters as the database keeps them: assigned only ever grows; an erasure takes one off remaining.</summary>
    private sealed class Books(double redShare)
    {
        public SequentialSampleRatioMonitor Assigned { get; } = new(redShare);

        public long RemainingRed { get; private set; }

        public long RemainingBlue { get; private set; }

        public void Assign(bool red)
        {
            Assigned.Observe(red);
            _ = red ? RemainingRed++ : RemainingBlue++;
        }

        public void Erase(bool red) => _ = red ? RemainingRed-- : RemainingBlue--;
    }
}
