using System.Diagnostics;
using BallOrleans.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BallOrleans.Tests.Operations;

/// <summary>
/// The Prometheus alert rules in deploy/prometheus pass <c>promtool check rules</c>, and each rule
/// has a unit-test file that <c>promtool test rules</c> passes. promtool is Debian's
/// <c>prometheus</c> package, which deploy/local/run-tests.sh installs when run as root; only a
/// run that is not root and lacks it skips, saying so.
/// </summary>
public sealed class AlertRulesTests(ITestOutputHelper output)
{
    private static readonly string Folder = Path.Combine(Repository.Root(), "deploy", "prometheus");

    [SkippableFact]
    public async Task The_rules_pass_promtool_check_and_every_rule_has_a_passing_unit_test()
    {
        var promtool = new[] { "/usr/bin/promtool", "/usr/local/bin/promtool" }.FirstOrDefault(File.Exists);
        Skip.If(promtool is null && Environment.UserName != "root", "promtool is missing and this run is not root (apt-get install prometheus)");
        Assert.True(promtool is not null, "promtool is missing: deploy/local/run-tests.sh installs Debian's prometheus package as root");

        var (checkCode, checkOutput) = await RunAsync(promtool, "check", "rules", "ball-alerts.yml");
        output.WriteLine(checkOutput);
        Assert.True(checkCode == 0, checkOutput);

        var tests = Directory.GetFiles(Path.Combine(Folder, "tests"), "*.yml").Order(StringComparer.Ordinal).ToList();
        var (testCode, testOutput) = await RunAsync(promtool, ["test", "rules", .. tests]);
        output.WriteLine(testOutput);
        Assert.True(testCode == 0, testOutput);

        // One test file a rule: every alert of the rules is exercised by some test file.
        var rules = File.ReadAllLines(Path.Combine(Folder, "ball-alerts.yml"))
            .Select(l => l.Trim()).Where(l => l.StartsWith("- alert: ", StringComparison.Ordinal)).Select(l => l["- alert: ".Length..]).ToList();
        Assert.Equal(4, rules.Count);
        Assert.Equal(rules.Count, tests.Count);
        Assert.All(rules, rule => Assert.Single(tests, t => File.ReadAllText(t).Contains($"alertname: {rule}", StringComparison.Ordinal)));
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = Folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
