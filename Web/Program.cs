using BallOrleans.Grains.Storage;
using BallOrleans.Grains.Visitors;
using BallOrleans.Web;
using BallOrleans.Web.Hosting;
using BallOrleans.Web.Privacy;
using BallOrleans.Web.Stats;
using BallOrleans.Web.Operations;
using BallOrleans.Web.Visits;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);

if (PostgresConnection.TryResolve(builder.Configuration, out var problem) is null)
{
    Console.Error.WriteLine($"ball: {problem}");
    return 2;
}

if (args.FirstOrDefault() is { } command && !command.StartsWith('-'))
{
    return await Commands.RunAsync(command, builder);
}

builder.AddBallOrleans();
builder.Services.AddBallWeb(builder.Configuration);

var app = builder.Build();
app.UseSecurityHeaders();
app.UseAdminAccess(OrleansHosting.DashboardPath);
app.UseStaticFiles();
app.MapVisitEndpoints();
app.MapForgetEndpoints();
app.MapStatsEndpoints();
app.MapBallHealthEndpoints();
app.MapBallMetrics();
app.MapBallDashboard();
try
{
    await app.RunAsync();
}
catch (OptionsValidationException ex)
{
    // A bad setting is the operator's to fix: say which, without a stack trace.
    Console.Error.WriteLine($"ball: invalid configuration: {string.Join("; ", ex.Failures)}");
    return 2;
}

return 0;

/// <summary>The entry point, named so tests can host the app with WebApplicationFactory.</summary>
public partial class Program;
