using BallOrleans.Grains.Visitors;

namespace BallOrleans.Grains.Stats;

/// <summary>
/// What became of a request the ball page answered: the in-memory stages of the exposure
/// waterfall. Each request shown the ball falls in exactly one bucket (<see cref="ExposureReasons.Buckets"/>:
/// counted, or one of the reasons it was not); the memos (<see cref="ExposureReasons.Memos"/>) say
/// more about some counted requests and are no bucket of their own.
/// </summary>
[GenerateSerializer]
public enum ExposureReason
{
    /// <summary>A bot's <c>GET /</c> (isbot's list): shown, not counted.</summary>
    Bot,

    /// <summary><c>?preview=red|blue</c>: shown, not counted.</summary>
    Preview,

    /// <summary><c>HEAD /</c> or a browser prefetch: shown, not counted.</summary>
    HeadOrPrefetch,

    /// <summary>A newcomer over their address's new-visitor limit: shown, not stored.</summary>
    NewVisitorLimit,

    /// <summary>
    /// Memo: the cookie verified (or was a bare id from before signing) but named a visitor not
    /// stored (erased, or never ours): the request was counted, as a new visitor.
    /// </summary>
    UnknownId,

    /// <summary>
    /// Memo: a <c>ball_visitor</c> cookie came that did not verify (its tag, or the key it names,
    /// is not ours; or it is no cookie of ours at all): the request was counted, as a new visitor.
    /// </summary>
    ForgedId,

    /// <summary>Shown and counted as its visitor's view.</summary>
    Counted,

    /// <summary>A newcomer over the web instance's new-visitor limit (whatever their address): shown, not stored.</summary>
    GlobalNewVisitorLimit,

    /// <summary>A returning visitor over their cookie's visit rate: shown their ball, the visit not stored.</summary>
    CookieVisitLimit,
}

/// <summary>The reasons' names in <c>/api/stats</c>, and which of them are buckets and which memos.</summary>
public static class ExposureReasons
{
    /// <summary>Shown, not counted: the not-counted stages, in the waterfall's order.</summary>
    public static IReadOnlyList<ExposureReason> NotCounted { get; } =
        [ExposureReason.Bot, ExposureReason.Preview, ExposureReason.HeadOrPrefetch, ExposureReason.NewVisitorLimit,
            ExposureReason.GlobalNewVisitorLimit, ExposureReason.CookieVisitLimit];

    /// <summary>The buckets: every request shown the ball belongs to exactly one of these.</summary>
    public static IReadOnlyList<ExposureReason> Buckets { get; } = [ExposureReason.Counted, .. NotCounted];

    /// <summary>Counted, as a new visitor, because the cookie named nobody stored or did not verify.</summary>
    public static IReadOnlyList<ExposureReason> Memos { get; } = [ExposureReason.UnknownId, ExposureReason.ForgedId];

    public static string Name(this ExposureReason reason) => reason switch
    {
        ExposureReason.Bot => "bot",
        ExposureReason.Preview => "preview",
        ExposureReason.HeadOrPrefetch => "headOrPrefetch",
        ExposureReason.NewVisitorLimit => "newVisitorLimit",
        ExposureReason.UnknownId => "unknownId",
        ExposureReason.ForgedId => "forgedId",
        ExposureReason.Counted => "counted",
        ExposureReason.GlobalNewVisitorLimit => "globalNewVisitorLimit",
        ExposureReason.CookieVisitLimit => "cookieVisitLimit",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };

    /// <summary>
    /// True when each request of the stage was shown a fresh assignment (a newcomer's ball, at the
    /// configured odds), so that its requests can have a split check; a returning visitor's
    /// requests all carry one arm.
    /// </summary>
    public static bool ShowsFreshAssignment(this ExposureReason reason) =>
        reason is ExposureReason.NewVisitorLimit or ExposureReason.GlobalNewVisitorLimit;
}

/// <summary>
/// One in-memory counter of the waterfall, per UTC day. A request is counted once, when its answer
/// is done, under the ball it was shown (<see cref="Shown"/>, null: none rendered) together with
/// the bucket it was put in and that bucket's arm (<see cref="Reason"/> and <see cref="Arm"/>,
/// null: none). Both halves are set at different places of the request's handling; counting them
/// as one key means any read of the counters sees each request whole, so a request that was shown
/// and put in no bucket (or put in one and never shown) is the residual's, never a request half
/// counted. A memo is a key of its own, with no ball shown.
/// </summary>
[GenerateSerializer, Immutable]
public readonly record struct ExposureKey(
    [property: Id(0)] DateOnly Day, [property: Id(1)] BallColor? Shown, [property: Id(2)] ExposureReason? Reason, [property: Id(3)] BallColor? Arm);
