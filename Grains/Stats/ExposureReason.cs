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
}

/// <summary>The reasons' names in <c>/api/stats</c>, and which of them the waterfall subtracts.</summary>
public static class ExposureReasons
{
    public static IReadOnlyList<ExposureReason> NotCounted { get; } =
        [ExposureReason.Bot, ExposureReason.Preview, ExposureReason.HeadOrPrefetch, ExposureReason.NewVisitorLimit];

    public static IReadOnlyList<ExposureReason> Reassigned { get; } = [ExposureReason.UnknownId, ExposureReason.ForgedId];

    public static string Name(this ExposureReason reason) => reason switch
    {
        ExposureReason.Bot => "bot",
        ExposureReason.Preview => "preview",
        ExposureReason.HeadOrPrefetch => "headOrPrefetch",
        ExposureReason.NewVisitorLimit => "newVisitorLimit",
        ExposureReason.UnknownId => "unknownId",
        ExposureReason.ForgedId => "forgedId",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };
}

/// <summary>One in-memory counter of the waterfall: a UTC day, a reason, and the ball shown (null: none).</summary>
[GenerateSerializer, Immutable]
public readonly record struct ExposureKey([property: Id(0)] DateOnly Day, [property: Id(1)] ExposureReason Reason, [property: Id(2)] BallColor? Arm);
