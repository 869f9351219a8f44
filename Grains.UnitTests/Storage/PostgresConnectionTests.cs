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

    private static NpgsqlConnectionStringBuilder Resolve(string connectionString)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = connectionString })
            .Build();
        return new NpgsqlConnectionStringBuilder(PostgresConnection.Resolve(configuration));
    }
}
