namespace BallOrleans.Web.Visits;

/// <summary>
/// A visit that may or may not have been counted: the grain could not confirm it, or an attempt
/// was lost before a later one failed. The page says it does not know, never "not counted".
/// </summary>
public sealed class VisitNotConfirmedException(Exception? inner = null)
    : Exception("The visit may or may not have been counted", inner);
