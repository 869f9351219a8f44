using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;
using BallOrleans.Web.Stats;

namespace BallOrleans.Web.Visits;

/// <summary>Makes the exposure record of each request the ball page answers (<see cref="Exposure"/>).</summary>
public sealed class ExposureCounting(IExposureTally tally)
{
    /// <summary>
    /// Test hook, never set by the site: while true, requests begun are put in no bucket, as a
    /// handler that forgot to say what became of a request would leave them, so that a test can
    /// see the in-memory residual catch one.
    /// </summary>
    internal bool SkipBucketsForTests { get; set; }

    public Exposure Begin() => new(tally, SkipBucketsForTests);
}

/// <summary>
/// What became of one request to the ball page, for the exposure waterfall. The page that renders
/// a ball marks it <see cref="Shown"/> (<see cref="BallPage"/>); the handler, where it decides,
/// puts it in its bucket (<see cref="Put"/>: counted, or why not). The two are set at different
/// places on purpose: <see cref="Done"/> counts them together, so the waterfall's residual
/// (shown - counted - not counted) is 0 only while every ball shown was put in exactly one bucket
/// of its arm. Not thread-safe: one request's handling.
/// </summary>
public sealed class Exposure
{
    private readonly IExposureTally _tally;
    private readonly bool _skipBuckets;
    private BallColor? _shown;
    private ExposureReason? _reason;
    private BallColor? _arm;
    private bool _done;

    internal Exposure(IExposureTally tally, bool skipBuckets)
    {
        _tally = tally;
        _skipBuckets = skipBuckets;
    }

    /// <summary>A ball of <paramref name="ball"/> was rendered for this request.</summary>
    public void Shown(BallColor ball)
    {
        if (_shown is not null || _done)
        {
            // A second ball for one request: counted on its own, a ball in no bucket, so it shows.
            _tally.Count(ball, null, null);
            return;
        }

        _shown = ball;
    }

    /// <summary>The request's bucket: <see cref="ExposureReason.Counted"/>, or one of <see cref="ExposureReasons.NotCounted"/>, with the arm it showed.</summary>
    public void Put(ExposureReason bucket, BallColor arm)
    {
        if (_skipBuckets)
        {
            return;
        }

        if (_reason is not null || _done)
        {
            // A second bucket for one request: counted on its own, a bucket with no ball, so it shows.
            _tally.Count(null, bucket, arm);
            return;
        }

        (_reason, _arm) = (bucket, arm);
    }

    /// <summary>A memo (<see cref="ExposureReasons.Memos"/>) about a counted request: no bucket, and no part of the residual.</summary>
    public void Memo(ExposureReason memo, BallColor arm) => _tally.Count(null, memo, arm);

    /// <summary>Counts the request, once, when its answer is settled; a request that showed no ball and found no bucket (a 503) is not counted.</summary>
    public void Done()
    {
        if (_done)
        {
            return;
        }

        _done = true;
        if (_shown is not null || _reason is not null)
        {
            _tally.Count(_shown, _reason, _arm);
        }
    }
}
