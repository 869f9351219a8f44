namespace BallOrleans.Grains.Privacy;

/// <summary>
/// What became of an erasure, from the visitor's grain to the HTTP answer (forget-me and the admin
/// delete map each case to their response). Only the first two are answers a visitor may be told
/// "forgotten" on: both stand on a commit that waited for the synchronous standby.
/// </summary>
[GenerateSerializer]
public enum ErasureOutcome
{
    /// <summary>The visitor's row was deleted, and the commit is confirmed.</summary>
    Erased,

    /// <summary>
    /// There was no row: never stored, or erased already. Confirmed as an erasure is, so an earlier
    /// erasure of this visitor whose answer was lost is settled by it too.
    /// </summary>
    NothingToErase,

    /// <summary>The database refused or failed before anything could commit: the visitor is as they were.</summary>
    NotErased,

    /// <summary>
    /// The erasure may or may not have committed (its answer was lost, or its wait for the standby
    /// was cancelled). Erasing again is safe, and is how it becomes known.
    /// </summary>
    Unknown,
}
