namespace BallOrleans.Web.Stats;

/// <summary>One arm at one stage of the waterfall in <c>GET /api/stats</c>; <c>visitors</c> is null for stages of requests only.</summary>
public sealed record ArmJson(long Requests, long? Visitors);

/// <summary>One stage of the waterfall; <c>srm</c> is null where no split check applies.</summary>
public sealed record StageJson(string Stage, string? Reason, bool Exact, ArmJson Red, ArmJson Blue, ArmJson None, SrmJson? Srm);

/// <summary>The waterfall of all time (<c>day</c> null) or of one day.</summary>
public sealed record WaterfallSliceJson(DateOnly? Day, IReadOnlyList<StageJson> Stages);

/// <summary>The <c>waterfall</c> key of <c>GET /api/stats</c>.</summary>
public sealed record WaterfallJson(string Note, double FlushIntervalSeconds, WaterfallSliceJson AllTime, IReadOnlyList<WaterfallSliceJson> Days)
{
    public const string Approximate =
        "Stages with exact=false are counted in each web process's memory since it started and pushed every flushIntervalSeconds: " +
        "approximate. Stored stages are exact. Each stage equals the one before it minus what it removes; reassigned is a memo, counted as new visitors.";

    public static WaterfallJson From(Waterfall waterfall) =>
        new(Approximate, waterfall.FlushInterval.TotalSeconds, Slice(waterfall.AllTime), [.. waterfall.Days.Select(Slice)]);

    private static WaterfallSliceJson Slice(WaterfallSlice slice) => new(slice.Day, [.. slice.Stages.Select(s => new StageJson(
        s.Stage, s.Reason, s.Exact, Arm(s.Red), Arm(s.Blue), Arm(s.None), s.Srm is { } srm ? SrmJson.From(srm) : null))]);

    private static ArmJson Arm(ArmFigures figures) => new(figures.Requests, figures.Visitors);
}
