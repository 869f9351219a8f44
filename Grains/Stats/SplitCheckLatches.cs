using BallOrleans.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace BallOrleans.Grains.Stats;

/// <summary>
/// The latched split checks of this service in <c>ball_split_check_latched</c> (migration 011):
/// <see cref="LatchAsync"/> stores a first crossing (written once: a later or concurrent crossing
/// of the same check, from any process, keeps the first), <see cref="CurrentAsync"/> reads them.
/// </summary>
/// <remarks>
/// A latch never changes once written, so every one read is kept for good in memory; the table is
/// read again at most once per <see cref="ReadInterval"/> for the latches other processes wrote.
/// When the database cannot be reached the latches known so far are answered (a check that is
/// flagged now is flagged anyway), and a latch that could not be written is tried again at the
/// next look, with the moment and counts of that look.
/// </remarks>
public sealed class SplitCheckLatches(NpgsqlDataSource dataSource, IOptions<BallClusterOptions> cluster, TimeProvider clock, ILogger<SplitCheckLatches> logger)
{
    public static readonly TimeSpan ReadInterval = TimeSpan.FromSeconds(1);

    private const string Columns = "population, browser, flagged_at, red_visitors, blue_visitors, log_bayes_factor, alpha";
    private readonly Dictionary<(string Population, string Browser), SplitCheckLatch> _known = [];
    private readonly Lock _lock = new();
    private DateTimeOffset _readAt = DateTimeOffset.MinValue;

    /// <summary>Every latch of this service, by population and browser.</summary>
    public async Task<IReadOnlyDictionary<(string Population, string Browser), SplitCheckLatch>> CurrentAsync(CancellationToken cancellationToken = default)
    {
        if (clock.GetUtcNow() - ReadAt >= ReadInterval)
        {
            try
            {
                await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM ball_split_check_latched WHERE service_id = $1");
                command.Parameters.Add(new() { Value = cluster.Value.ServiceId });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    Remember(Read(reader));
                }

                lock (_lock)
                {
                    _readAt = clock.GetUtcNow();
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                logger.LogDebug("Latched split checks not read ({Error}); the ones known are used", ex.GetType().Name);
            }
        }

        lock (_lock)
        {
            return new Dictionary<(string, string), SplitCheckLatch>(_known);
        }
    }

    /// <summary>Stores <paramref name="crossing"/> unless its check is latched already; answers the latch that is stored (the first), or null when it could not be written.</summary>
    public async Task<SplitCheckLatch?> LatchAsync(SplitCheckLatch crossing, CancellationToken cancellationToken = default)
    {
        try
        {
            // The insert, or the row that was there: a concurrent first crossing elsewhere wins.
            await using var command = dataSource.CreateCommand($"""
                WITH inserted AS (
                    INSERT INTO ball_split_check_latched (service_id, {Columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                    ON CONFLICT (service_id, population, browser) DO NOTHING
                    RETURNING {Columns})
                SELECT {Columns}, true FROM inserted
                UNION ALL
                SELECT {Columns}, false FROM ball_split_check_latched
                WHERE service_id = $1 AND population = $2 AND browser = $3 AND NOT EXISTS (SELECT FROM inserted)
                """);
            foreach (var value in new object[] { cluster.Value.ServiceId, crossing.Population, crossing.Browser, crossing.FlaggedAt.UtcDateTime,
                crossing.RedVisitors, crossing.BlueVisitors, crossing.LogBayesFactor, crossing.Alpha })
            {
                command.Parameters.Add(new() { Value = value });
            }

            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            var stored = Read(reader);
            Remember(stored);
            if (reader.GetBoolean(7))
            {
                logger.LogWarning("Split check {Population}/{Browser} flagged and latched: {Red} red, {Blue} blue visitors, log Bayes factor {LogBayesFactor:0.##} at alpha {Alpha}",
                    stored.Population, stored.Browser, stored.RedVisitors, stored.BlueVisitors, stored.LogBayesFactor, stored.Alpha);
            }

            return stored;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            logger.LogWarning("Split check {Population}/{Browser} is flagged but its latch was not stored ({Error}); tried again at the next look",
                crossing.Population, crossing.Browser, ex.GetType().Name);
            return null;
        }
    }

    private DateTimeOffset ReadAt
    {
        get
        {
            lock (_lock)
            {
                return _readAt;
            }
        }
    }

    private void Remember(SplitCheckLatch latch)
    {
        lock (_lock)
        {
            _known.TryAdd((latch.Population, latch.Browser), latch);
        }
    }

    private static SplitCheckLatch Read(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2),
        reader.GetInt64(3), reader.GetInt64(4), reader.GetDouble(5), reader.GetDouble(6));
}
