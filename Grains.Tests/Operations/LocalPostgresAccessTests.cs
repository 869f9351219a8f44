using BallOrleans.Tests.Infrastructure;
using Npgsql;

namespace BallOrleans.Tests.Operations;

/// <summary>
/// The private PostgreSQL of <c>./ball run</c>, the tests and the benchmark (deploy/local/postgres.sh):
/// no other user of the machine gets in. TCP asks for the generated password; the Unix socket
/// sits in a folder only the server's owner may enter, and admits only that OS user.
/// </summary>
public sealed class LocalPostgresAccessTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task A_tcp_connection_without_the_password_is_refused()
    {
        var withPassword = new NpgsqlConnectionStringBuilder(postgres.AdminConnectionString) { Pooling = false };
        Assert.False(string.IsNullOrEmpty(withPassword.Password));
        await using (var allowed = new NpgsqlConnection(withPassword.ConnectionString))
        {
            await allowed.OpenAsync(); // the control: the same connection with the password gets in
        }

        // No password at all (and no passfile to find one in), then a wrong one.
        var without = new NpgsqlConnectionStringBuilder(withPassword.ConnectionString) { Password = null, Passfile = "/dev/null" };
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => OpenAsync(without.ConnectionString));
        var wrong = new NpgsqlConnectionStringBuilder(withPassword.ConnectionString) { Password = "not-the-password" };
        var refused = await Assert.ThrowsAsync<PostgresException>(() => OpenAsync(wrong.ConnectionString));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, refused.SqlState);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // postgres.sh, like the project, runs on Linux
    public void The_socket_folder_and_the_password_file_are_the_server_owners_alone()
    {
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
            File.GetUnixFileMode(Path.Combine(postgres.Folder, "socket")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(postgres.Folder, "password")));
    }

    [Fact]
    public void No_rule_trusts_anyone()
    {
        var rules = File.ReadLines(Path.Combine(postgres.Folder, "data", "pg_hba.conf"))
            .Select(line => line.Split('#')[0].Trim())
            .Where(line => line.Length > 0)
            .ToList();
        Assert.NotEmpty(rules);
        Assert.All(rules, rule => Assert.DoesNotContain("trust", rule, StringComparison.OrdinalIgnoreCase));
        Assert.Contains(rules, rule => rule.StartsWith("local", StringComparison.Ordinal) && rule.Contains(" peer", StringComparison.Ordinal));
        Assert.All(rules.Where(rule => rule.StartsWith("host", StringComparison.Ordinal)), rule => Assert.EndsWith("scram-sha-256", rule, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Another_os_user_on_the_socket_is_refused()
    {
        // As root the server belongs to the postgres user, so this process is another user: root may
        // enter the 0700 folder anyway, and peer authentication is what keeps it out. (As the
        // server's owner, the socket is meant to admit it: nothing to check then.)
        if (!Environment.IsPrivilegedProcess)
        {
            return;
        }

        var socket = new NpgsqlConnectionStringBuilder(postgres.AdminConnectionString)
        {
            Host = Path.Combine(postgres.Folder, "socket"),
            Password = null,
            Passfile = "/dev/null",
            Pooling = false,
        };
        var refused = await Assert.ThrowsAsync<PostgresException>(() => OpenAsync(socket.ConnectionString));
        Assert.Equal(PostgresErrorCodes.InvalidAuthorizationSpecification, refused.SqlState);
    }

    private static async Task OpenAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
    }
}
