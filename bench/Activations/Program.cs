// Activates N VisitorGrains in one silo (the site's own silo configuration and PostgreSQL
// storage), then reports the memory they hold and watches idle ones being collected.
//   dotnet Activations.dll <visitors> <watch-seconds>   (ConnectionStrings__Postgres set)
// Each grain is activated as the site activates a visitor: their first visit is stored by the
// first-visit grain (which activates nothing), and their second visit activates their grain (one
// grouped read, one grouped write), so each holds the state of a real visitor after two views.
// What is measured is the silo's cost per activation (grain, state, activation data, directory entry).
using System.Diagnostics;
using BallOrleans.Grains.Hosting;
using BallOrleans.Grains.Visitors;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var visitors = args.Length > 0 ? int.Parse(args[0]) : 1_000_000;
var watchSeconds = args.Length > 1 ? int.Parse(args[1]) : 240;
// "bare": activate an empty grain instead, to tell the runtime's own cost per activation from ours.
var bare = args.Length > 2 && args[2] == "bare";

var startClock = Stopwatch.StartNew();
var host = Host.CreateDefaultBuilder()
    .ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
    .UseOrleans((context, silo) => silo.UseLocalhostClustering().AddBallGrains(context.Configuration))
    .Build();
await host.StartAsync();
Console.WriteLine($"silo started in {startClock.Elapsed.TotalSeconds:F2} s (localhost clustering, schema migration included)");

var grains = host.Services.GetRequiredService<IGrainFactory>();
var management = grains.GetGrain<IManagementGrain>(0);
Report("before", 0);

var clock = Stopwatch.StartNew();
const int InFlight = 512;
var next = 0;
await Task.WhenAll(Enumerable.Range(0, InFlight).Select(async _ =>
{
    while (Interlocked.Increment(ref next) <= visitors)
    {
        var id = VisitorId.NewId();
        if (bare)
        {
            await grains.GetGrain<IBareGrain>(id).PingAsync();
            continue;
        }

        var first = await grains.GetGrain<IFirstVisitGrain>(Random.Shared.Next(IFirstVisitGrain.Spread)).VisitAsync(id, null, VisitAttempt.Once());
        var second = first is VisitOutcome.Counted ? await grains.GetGrain<IVisitorGrain>(id).VisitAsync(VisitAttempt.Once()) : first;
        if (second is not VisitOutcome.Counted)
        {
            throw new InvalidOperationException($"visits of {id} were not stored: {second}");
        }
    }
}));
Console.WriteLine($"activated {visitors:N0} visitors in {clock.Elapsed.TotalSeconds:F1} s");
Report("activated", visitors);

// Idle visitors must leave: watch the count fall once the collection age has passed.
for (var waited = 0; waited < watchSeconds; waited += 30)
{
    await Task.Delay(TimeSpan.FromSeconds(30));
    var stats = await management.GetSimpleGrainStatistics();
    var active = stats.Where(s => s.GrainType.Contains(bare ? "BareGrain" : "VisitorGrain", StringComparison.Ordinal)).Sum(s => s.ActivationCount);
    Console.WriteLine($"after {waited + 30,3} s idle: {active:N0} visitor activations, {Mb(GC.GetTotalMemory(false))} MB GC heap, {Mb(Process.GetCurrentProcess().WorkingSet64)} MB working set");
    if (active == 0)
    {
        break;
    }
}

Report("at the end", 0);
await host.StopAsync(TimeSpan.FromSeconds(30));
return 0;

static void Report(string when, int count)
{
    GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    GC.WaitForPendingFinalizers();
    var heap = GC.GetTotalMemory(true);
    var process = Process.GetCurrentProcess();
    Console.WriteLine($"{when}: {Mb(heap)} MB GC heap after a full collection, {Mb(process.WorkingSet64)} MB working set, {Mb(process.PrivateMemorySize64)} MB private"
        + (count > 0 ? $", {heap / count:N0} bytes of heap per visitor (incl. the silo's baseline)" : ""));
}

static long Mb(long bytes) => bytes / 1024 / 1024;

/// <summary>The smallest grain there is: the runtime's floor per activation.</summary>
public interface IBareGrain : IGrainWithStringKey
{
    Task PingAsync();
}

/// <summary>Holds nothing.</summary>
[CollectionAgeLimit(Minutes = 2)]
public sealed class BareGrain : Grain, IBareGrain
{
    public Task PingAsync() => Task.CompletedTask;
}
