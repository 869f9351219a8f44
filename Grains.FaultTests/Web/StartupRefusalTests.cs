using BallOrleans.Tests.Infrastructure;
using BallOrleans.Web.Admin;
using BallOrleans.Web.Hosting;

namespace BallOrleans.Tests.Web;

/// <summary>
/// A setting that would open the site up stops it at start, as a process: exit code 2 and one line
/// naming the problem, before anything connects.
/// </summary>
public sealed class StartupRefusalTests
{
    // Never reached: the settings are checked before anything connects.
    private const string Unreachable = "Host=127.0.0.1;Port=1;Username=nobody;Database=nothing";

    [Fact]
    public async Task A_short_admin_password_stops_the_site_with_exit_code_2_and_one_line_saying_why()
    {
        await AssertRefusedAsync(new() { ["Stats__AdminPassword"] = "hunter2" }, AdminPasswordPolicy.TooShort);
    }

    [Fact]
    public async Task Aspnetcore_forwardedheaders_enabled_stops_the_site_at_start()
    {
        await AssertRefusedAsync(new() { ["ASPNETCORE_FORWARDEDHEADERS_ENABLED"] = "true" }, TrustedProxies.FrameworkSwitchMessage);
    }

    [Fact]
    public async Task A_proxy_named_by_address_stops_the_site_at_start()
    {
        // What the Kubernetes manifests used to set: every pod of that network could forge its address.
        await AssertRefusedAsync(new() { ["ForwardedHeaders__KnownNetworks__0"] = "10.244.0.0/16" }, TrustedProxies.RetiredSectionMessage);
    }

    private static async Task AssertRefusedAsync(Dictionary<string, string?> environment, string reason)
    {
        environment["ConnectionStrings__Postgres"] = Unreachable;
        await using var site = SiteProcess.Start(Path.GetTempPath(), environment, "--urls", $"http://127.0.0.1:{PostgresServer.FreePort()}");

        Assert.Equal(2, await site.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal([$"ball: invalid configuration: {reason}"], site.Lines);
    }
}
