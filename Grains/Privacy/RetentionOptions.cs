using System.ComponentModel.DataAnnotations;

namespace BallOrleans.Grains.Privacy;

/// <summary>How long visitors are kept (section <c>Retention</c>).</summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>
    /// Visitors not seen for this many days are erased, once a day, as if they had asked to be
    /// forgotten. 0 (the default) keeps everyone forever.
    /// </summary>
    [Range(0, 36_500)]
    public int Days { get; set; }

    /// <summary>Visitors erased per transaction: each batch is short, so visits are never held up for long.</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 1000;

    /// <summary>Hours between two erasure runs.</summary>
    [Range(1, 24 * 30)]
    public int IntervalHours { get; set; } = 24;
}
