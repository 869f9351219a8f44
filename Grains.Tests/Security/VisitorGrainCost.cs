using System.Diagnostics.Metrics;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace BallOrleans.Tests.Security;

/// <summary>
/// What requests cost the cluster and the database: grain activations, from Orleans' own
/// activation metric (<c>orleans-catalog-activation-created</c>) and from the cluster's listing,
/// and reads of the visitor table, from PostgreSQL's statistics (<c>pg_stat_user_tables</c>).
/// </summary>
internal sealed class VisitorGrainCost : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _activations;

    public VisitorGrainCost()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Name == "orleans-catalog-activation-created")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((_, value, _, _) => Interlocked.Add(ref _activations, value));
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _activations, value));
        _listener.Start();
    }

    /// <summary>Grain activations created in this process since the listener started.</summary>
    public long ActivationsCreated => Interlocked.Read(ref _activations);

    /// <summary>Visitor grains active in the cluster now, as the cluster lists them.</summary>
    public static async Task<int> VisitorActivationsAsync(IGrainFactory grains) =>
        (await grains.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics())
            .Where(s => s.GrainType.Contains(nameof(VisitorGrain), StringComparison.Ordinal))
            .Sum(s => s.ActivationCount);

    /// <summary>The keys of the visitor grains active in the cluster, as its own listing names them.</summary>
    public static async Task<IReadOnlyList<string>> ListedVisitorKeysAsync(IGrainFactory grains) =>
        [.. (await grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics())
            .Where(s => s.GrainType.Contains(nameof(VisitorGrain), StringComparison.Ordinal))
            .Select(s => s.GrainId.Key.ToString()!)];

    /// <summary>
    /// Scans and index probes of <c>ball_grain_state</c> and rows inserted into it, once every
    /// backend has reported what it did until now.
    /// </summary>
    public static async Task<(long Reads, long Inserts)> SettledTableUseAsync(string database, BallWebApp site)
    {
        var pool = site.Services.GetRequiredService<NpgsqlDataSource>();
        return (await DatabaseStatistics.SettledAsync(database,
                    "SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = 'ball_grain_state'", pool),
                await DatabaseStatistics.SettledAsync(database, "SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'ball_grain_state'", pool));
    }

    public void Dispose() => _listener.Dispose();
}
