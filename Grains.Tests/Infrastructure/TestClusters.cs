using BallOrleans.Grains.Hosting;
using BallOrleans.Grains.Storage;
using Microsoft.Extensions.Configuration;
using Orleans.TestingHost;

namespace BallOrleans.Tests.Infrastructure;

/// <summary>In-process Orleans clusters whose grains store their state in a real PostgreSQL database.</summary>
public static class TestClusters
{
    /// <summary>Fixed so that a cluster started later on the same database finds the same rows.</summary>
    public const string ServiceId = "ball-tests";

    public static async Task<InProcessTestCluster> StartAsync(
        string connectionString, short silos = 1, IReadOnlyDictionary<string, string?>? settings = null, string storage = VisitorStorageOptions.Grouped)
    {
        var values = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = connectionString,
            [$"{VisitorStorageOptions.Section}:{nameof(VisitorStorageOptions.Visitors)}"] = storage,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var builder = new InProcessTestClusterBuilder(silos);
        builder.Options.ServiceId = ServiceId;
        builder.ConfigureSilo((_, silo) => silo.AddBallGrains(configuration));
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }
}
