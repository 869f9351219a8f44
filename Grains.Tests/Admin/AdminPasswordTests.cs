using BallOrleans.Tests.Infrastructure;
using BallOrleans.Web.Admin;
using BallOrleans.Web.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BallOrleans.Tests.Admin;

/// <summary>A guessable admin password never goes live: the site refuses to start with one.</summary>
public sealed class AdminPasswordTests
{
    [Theory]
    [InlineData(null, true)]
    [InlineData("", true)]
    [InlineData("fifteen chars!!", false)]
    [InlineData("sixteen chars!!!", true)]
    public void A_password_needs_sixteen_characters_or_none_at_all(string? password, bool valid)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Stats:AdminPassword"] = password })
            .Build();
        using var services = new ServiceCollection().AddBallWebOptions(configuration).BuildServiceProvider();

        var read = Record.Exception(() => services.GetRequiredService<IOptions<AdminOptions>>().Value);

        Assert.Equal(valid, read is null);
        if (!valid)
        {
            Assert.Equal(AdminOptions.WeakPasswordMessage, Assert.Single(Assert.IsType<OptionsValidationException>(read).Failures));
        }
    }

    [Fact]
    public async Task A_short_password_stops_the_site_at_start_with_exit_code_2_and_one_line_saying_why()
    {
        var environment = new Dictionary<string, string?>
        {
            // Never reached: the settings are checked before anything connects.
            ["ConnectionStrings__Postgres"] = "Host=127.0.0.1;Port=1;Username=nobody;Database=nothing",
            ["Stats__AdminPassword"] = "hunter2",
        };
        await using var site = SiteProcess.Start(Path.GetTempPath(), environment, "--urls", $"http://127.0.0.1:{PostgresServer.FreePort()}");

        Assert.Equal(2, await site.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal([$"ball: invalid configuration: {AdminOptions.WeakPasswordMessage}"], site.Lines);
    }
}
