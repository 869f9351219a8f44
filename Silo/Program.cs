using BallOrleans.Grains.Hosting;
using BallOrleans.Grains.Storage;
using BallOrleans.Silo;

// A standalone silo: grains, storage and membership, configured exactly as the web co-host's.
var builder = Host.CreateApplicationBuilder(args);
if (PostgresConnection.TryResolve(builder.Configuration, out var problem) is null)
{
    Console.Error.WriteLine($"ball-silo: {problem}");
    return 2;
}

builder.UseOrleans(silo => silo.AddBallSilo(builder.Configuration));
builder.Services.AddBallSiloTelemetry(builder.Configuration);
await builder.Build().RunAsync();
return 0;
