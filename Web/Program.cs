using BallOrleans.Grains.Diagnostics;
using BallOrleans.Grains.Hosting;
using BallOrleans.Grains.Storage;
using BallOrleans.Web;
using BallOrleans.Web.Admin;
using BallOrleans.Web.Hosting;
using BallOrleans.Web.Operations;
using BallOrleans.Web.Privacy;
using BallOrleans.Web.Stats;
using BallOrleans.Web.Visits;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    // The app's own folder, wherever it is started from: its appsettings.json and wwwroot are there.
    ContentRootPath = AppContext.BaseDirectory,
});
builder.WebHost.UseBallStaticFiles(builder.Environment);
// No visitor id in any log line, Orleans' included; while the database is down, a failure it
// causes is one line, not a stack trace.
builder.Logging.AddBallLogging();

var command = args.FirstOrDefault() is { } first && !first.StartsWith('-') ? first : null;
// The commands that log in as the schema owner may be given that login alone (the migration Job is).
var ownerOnly = command is not (null or "cluster-check")
    && !string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(PostgresConnection.OwnerConfigKey));
if (!ownerOnly && PostgresConnection.TryResolve(builder.Configuration, out var problem) is null)
{
    Console.Error.WriteLine($"ball: {problem}");
    return 2;
}

try
{
    builder.Services.AddBallWebOptions(builder.Configuration);
    if (command is not null)
    {
        return await Commands.RunAsync(command, builder);
    }

    builder.AddBallOrleans();
    builder.Services.AddBallWeb(builder.Configuration);

    var app = builder.Build();
    // Every setting is checked before anything starts: a bad one is then one line, not a failed start.
    app.Services.GetRequiredService<IStartupValidator>().Validate();
    // First: everything after it sees the client's address, not the proxy's, on the proven proxy's requests.
    app.UseTrustedProxies();
    app.UseSecurityHeaders();
    app.UseNoStore();
    app.UseStaticFiles();
    app.UseAuthentication();
    app.UseAuthorization();
    app.MapVisitEndpoints();
    app.MapForgetEndpoints();
    app.MapBallHealthEndpoints();
    // The admin pages: one group, one policy (the admin credential, or loopback without one).
    // Private figures: no cache may keep any of their answers.
    var admin = app.MapGroup("").RequireAuthorization(AdminAccess.Policy).MarkNoStore();
    admin.MapStatsEndpoints();
    admin.MapBallMetrics();
    admin.MapBallDashboard();
    app.LogStartupSummary();
    app.ExitAtShutdownTimeout(typeof(Program).Assembly);
    await app.RunAsync();
    return 0;
}
catch (Exception ex) when (StartupErrors.IsConfigurationError(ex, out var failures))
{
    // A bad setting is the operator's to fix: say which, without a stack trace.
    Console.Error.WriteLine($"ball: invalid configuration: {string.Join("; ", failures)}");
    return 2;
}
catch (SchemaVersionException)
{
    // SchemaVersionGate logged the one line that says why; the exit code says it to a supervisor.
    return SchemaVersionException.ExitCode;
}
catch (Exception ex) when (DatabaseFailure.IsCauseOf(ex))
{
    // The start (the schema check, membership) needs the database; the logs above have the details.
    Console.Error.WriteLine($"ball: the database did not answer at start: {ex.GetBaseException().Message}");
    return 1;
}

/// <summary>The entry point, named so tests can host the app with WebApplicationFactory.</summary>
public partial class Program;
