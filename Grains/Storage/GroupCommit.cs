using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace BallOrleans.Grains.Storage;

/// <summary>One queued storage operation; its task completes when the batch that carried it is done.</summary>
internal abstract class PendingOperation
{
    // Asynchronous continuations: a lane must never run a caller's code before it takes the next batch.
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Done => _done.Task;

    public void Complete() => _done.TrySetResult();

    public void Fail(Exception error) => _done.TrySetException(error);
}

/// <summary>
/// Runs queued operations in batches. A free lane takes everything waiting, up to the batch limit,
/// and hands it to one call of <c>runBatch</c>; while every lane is busy the next batch gathers.
/// There is no timer: at low load an operation runs alone and at once, at high load batches grow.
/// </summary>
/// <remarks>
/// Written here rather than taken from a library: what matters is the exact contract (bounded
/// queue that refuses at once, bounded batches, a fixed number in flight, no added delay), and
/// it is a channel and a loop. <c>runBatch</c> completes or fails each operation; any it leaves
/// open (it threw) fail with its exception, so no caller ever waits forever or hears "done"
/// for a batch that did not finish.
/// </remarks>
internal sealed class GroupCommit<T> where T : PendingOperation
{
    private readonly Channel<T> _queue;
    private readonly int _maxBatch;
    private readonly Func<IReadOnlyList<T>, Task> _runBatch;
    private readonly ILogger _logger;
    private readonly Task[] _lanes;
    private volatile bool _stopping;

    public GroupCommit(string name, int maxBatch, int lanes, int queueLimit, Func<IReadOnlyList<T>, Task> runBatch, ILogger logger)
    {
        Name = name;
        _maxBatch = maxBatch;
        _runBatch = runBatch;
        _logger = logger;
        _queue = Channel.CreateBounded<T>(new BoundedChannelOptions(queueLimit) { FullMode = BoundedChannelFullMode.Wait });
        _lanes = new Task[lanes];
        for (var i = 0; i < lanes; i++)
        {
            _lanes[i] = Task.Run(RunLaneAsync);
        }
    }

    public string Name { get; }

    /// <summary>Queues <paramref name="operation"/>, or fails it at once when the queue is full or closed.</summary>
    public Task EnqueueAsync(T operation)
    {
        if (!_queue.Writer.TryWrite(operation))
        {
            // Asked, not inferred from the channel: a stopping queue still holds what it accepted.
            operation.Fail(new StorageBusyException(_stopping
                ? $"{Name}: storage is shutting down"
                : $"{Name}: too many operations waiting; try again shortly"));
        }

        return operation.Done;
    }

    /// <summary>Refuses new work and waits until everything queued or in flight is done.</summary>
    public Task StopAsync()
    {
        _stopping = true;
        _queue.Writer.TryComplete();
        return Task.WhenAll(_lanes);
    }

    private async Task RunLaneAsync()
    {
        var batch = new List<T>(_maxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < _maxBatch && _queue.Reader.TryRead(out var operation))
            {
                batch.Add(operation);
            }

            if (batch.Count == 0)
            {
                continue; // another lane took it
            }

            try
            {
                await _runBatch(batch);
            }
            catch (Exception ex)
            {
                // The operations' callers hear of it (they log what was lost); this says why once.
                _logger.LogDebug(ex, "{Storage}: a batch of {Count} failed", Name, batch.Count);
                foreach (var operation in batch)
                {
                    operation.Fail(ex);
                }
            }

            batch.Clear();
        }
    }
}

/// <summary>The storage queue is full or closed: the operation was not tried.</summary>
public sealed class StorageBusyException(string message) : Exception(message);
