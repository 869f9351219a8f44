using BallOrleans.Grains.Storage;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace BallOrleans.Tests.Storage;

/// <summary>The defaults the visit path relies on, and that a connection string can override.</summary>
public sealed class PostgresConnectionTests
{
    [Fact]
    public void A_connection_string_without_them_gets_short_timeouts_prepared_statements_and_no_session_reset()
    {
        var resolved = Resolve("Host=db.example;Username=ball;Database=ball");

        Assert.Equal(3, resolved.Timeout);
        Assert.Equal(5, resolved.CommandTimeout);
        Assert.Equal(32, resolved.MaxAutoPrepare);
        Assert.True(resolved.NoResetOnClose);
        Assert.Equal("ball-orleans", resolved.ApplicationName);
    }

    [Fact]
    public void Several_servers_get_a_one_second_connect_timeout_each()
    {
        Assert.Equal(1, Resolve("Host=a:5432,b:5432,c:5432;Username=ball;Database=ball").Timeout);
    }

    [Fact]
    public void What_the_connection_string_says_wins_under_any_spelling()
    {
        var resolved = Resolve("Host=db.example;Username=ball;Database=ball;command timeout=30;TIMEOUT=15;Max Auto Prepare=0;NoResetOnClose=false");

        Assert.Equal(30, resolved.CommandTimeout);
        Assert.Equal(15, resolved.Timeout);
        Assert.Equal(0, resolved.MaxAutoPrepare);
        Assert.False(resolved.NoResetOnClose);
    }

    [Fact]
    public void The_owners_login_is_its_own_setting_with_the_same_defaults_and_the_runtimes_without_it()
    {
        var both = Configuration(new() { ["ConnectionStrings:Postgres"] = "Host=db;Username=ball_runtime", ["ConnectionStrings:PostgresOwner"] = "Host=db;Username=ball_owner" });
        var runtimeOnly = Configuration(new() { ["ConnectionStrings:Postgres"] = "Host=db;Username=ball_runtime" });

        var owner = new NpgsqlConnectionStringBuilder(PostgresConnection.ResolveOwner(both));
        Assert.Equal(("ball_owner", 5), (owner.Username, owner.CommandTimeout));
        Assert.Equal("ball_runtime", new NpgsqlConnectionStringBuilder(PostgresConnection.Resolve(both)).Username);
        Assert.Equal("ball_runtime", new NpgsqlConnectionStringBuilder(PostgresConnection.ResolveOwner(runtimeOnly)).Username);
        Assert.Contains("PostgresOwner", Assert.Throws<InvalidOperationException>(() =>
            PostgresConnection.ResolveOwner(Configuration(new() { ["ConnectionStrings:PostgresOwner"] = "Nonsense=1" }))).Message);
    }

    private static IConfiguration Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

    private static NpgsqlConnectionStringBuilder Resolve(string connectionString)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = connectionString })
            .Build();
        return new NpgsqlConnectionStringBuilder(PostgresConnection.Resolve(configuration));
    }
}
