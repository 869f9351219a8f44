using BallOrleans.Grains.Visitors;

namespace BallOrleans.Grains.Stats;

/// <summary>
/// Why a request that was shown the ball did not count as its visitor's view: the in-memory
/// stages of the exposure waterfall. Web code calls <c>IExposureTally.Count</c> with one of these.
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
    /// The cookie named a visitor not stored (erased, or never ours): the request was counted, as a
    /// new visitor. A memo line of the waterfall, not subtracted.
    /// </summary>
    UnknownId,

    /// <summary>
    /// The cookie's signature did not verify (a forged or mangled cookie): the request went on as a
    /// newcomer's, counted as a new visitor. A memo line of the waterfall, not subtracted.
    /// </summary>
    ForgedId,

    /// <summary>A newcomer over the web instance's new-visitor limit (whatever their address): shown, not stored.</summary>
    GlobalNewVisitorLimit,

    /// <summary>A returning visitor over their cookie's visit rate: shown their ball, the visit not stored.</summary>
    CookieVisitLimit,
}

/// <summary>The reasons' names in <c>/api/stats</c>, and which of them the waterfall subtracts.</summary>
public static class ExposureReasons
{
    public static IReadOnlyList<ExposureReason> NotCounted { get; } =
        [ExposureReason.Bot, ExposureReason.Preview, ExposureReason.HeadOrPrefetch, ExposureReason.NewVisitorLimit,
            ExposureReason.GlobalNewVisitorLimit, ExposureReason.CookieVisitLimit];

    public static IReadOnlyList<ExposureReason> Reassigned { get; } = [ExposureReason.UnknownId, ExposureReason.ForgedId];

    public static string Name(this ExposureReason reason) => reason switch
    {
        ExposureReason.Bot => "bot",
        ExposureReason.Preview => "preview",
        ExposureReason.HeadOrPrefetch => "headOrPrefetch",
        ExposureReason.NewVisitorLimit => "newVisitorLimit",
        ExposureReason.UnknownId => "unknownId",
        ExposureReason.ForgedId => "forgedId",
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

/// <summary>One in-memory counter of the waterfall: a UTC day, a reason, and the ball shown (null: none).</summary>
[GenerateSerializer, Immutable]
public readonly record struct ExposureKey([property: Id(0)] DateOnly Day, [property: Id(1)] ExposureReason Reason, [property: Id(2)] BallColor? Arm);
