namespace BallOrleans.Web.Stats;

/// <summary>One arm at one stage of the waterfall in <c>GET /api/stats</c>; <c>visitors</c> is null for stages of requests only.</summary>
public sealed record ArmJson(long Requests, long? Visitors);

/// <summary>One stage of the waterfall; <c>srm</c> is null where no split check applies.</summary>
public sealed record StageJson(string Stage, string? Reason, bool Exact, ArmJson Red, ArmJson Blue, SrmJson? Srm);

/// <summary>
/// The waterfall of all time (<c>day</c> null) or of one day; a day that has ended (<c>closed</c>)
/// has the chi-square of the visitors assigned on it (<c>srm</c>), today none.
/// </summary>
public sealed record WaterfallSliceJson(DateOnly? Day, bool Closed, SrmJson? Srm, IReadOnlyList<StageJson> Stages);

/// <summary>The <c>waterfall</c> key of <c>GET /api/stats</c>.</summary>
public sealed record WaterfallJson(string Note, double FlushIntervalSeconds, WaterfallSliceJson AllTime, IReadOnlyList<WaterfallSliceJson> Days)
{
    public const string Explained =
        "Two parts, each counted on its own. In memory (exact=false), per web process since it started, pushed every flushIntervalSeconds: " +
        "shown (balls rendered), counted, notCounted by reason; residual inMemory = shown - counted - notCounted. " +
        "Stored (exact=true), all time: assigned (never moved by erasures), erased by reason, remaining; residual stored = assigned - erased - remaining. " +
        "Each residual must be 0: anything else is a request or a visitor the books lost. reassigned is a memo, counted as new visitors.";

    public static WaterfallJson From(Waterfall waterfall) =>
        new(Explained, waterfall.FlushInterval.TotalSeconds, Slice(waterfall.AllTime), [.. waterfall.Days.Select(Slice)]);

    private static WaterfallSliceJson Slice(WaterfallSlice slice) => new(slice.Day, slice.Closed, slice.Srm is { } day ? SrmJson.From(day) : null,
        [.. slice.Stages.Select(s => new StageJson(s.Stage, s.Reason, s.Exact, Arm(s.Red), Arm(s.Blue), s.Srm is { } srm ? SrmJson.From(srm) : null))]);

    private static ArmJson Arm(ArmFigures figures) => new(figures.Requests, figures.Visitors);
}
