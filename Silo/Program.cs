using BallOrleans.Grains.Diagnostics;
using BallOrleans.Grains.Hosting;
using BallOrleans.Grains.Storage;
using BallOrleans.Silo;
using Microsoft.Extensions.Options;

// A standalone silo: grains, storage and membership, configured exactly as the web co-host's.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    // The app's own folder, wherever it is started from: its appsettings.json is there.
    ContentRootPath = AppContext.BaseDirectory,
});
if (PostgresConnection.TryResolve(builder.Configuration, out var problem) is null)
{
    Console.Error.WriteLine($"ball-silo: {problem}");
    return 2;
}

try
{
    builder.Services.AddBallOptions(builder.Configuration);
    // No visitor id in any log line, Orleans' included; while the database is down, a failure it
    // causes is one line, not a stack trace.
    builder.Logging.AddBallLogging();
    builder.UseOrleans(silo => silo.AddBallSilo(builder.Configuration, SiloListening.AnyAddress));
    builder.Services.AddBallSiloTelemetry(builder.Configuration);
    var host = builder.Build();
    // Every setting is checked before anything starts: a bad one is then one line, not a failed start.
    host.Services.GetRequiredService<IStartupValidator>().Validate();
    Console.Error.WriteLine($"ball-silo: {ClusterTransport.Describe(BallOptions.Get<ClusterTlsOptions>(builder.Configuration, ClusterTlsOptions.Section))}");
    host.ExitAtShutdownTimeout(typeof(Program).Assembly);
    await host.RunAsync();
    return 0;
}
catch (OptionsValidationException ex)
{
    // A bad setting is the operator's to fix: say which, without a stack trace.
    Console.Error.WriteLine($"ball-silo: invalid configuration: {string.Join("; ", ex.Failures)}");
    return 2;
}
catch (SchemaVersionException)
{
    // SchemaVersionGate logged the one line that says why; the exit code says it to a supervisor.
    return SchemaVersionException.ExitCode;
}
