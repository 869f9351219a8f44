namespace BallOrleans.Web.Visits;

/// <summary>Tells a failed grain call that PostgreSQL caused (an outage: one line in the log is enough) from any other.</summary>
public static class DatabaseFailure
{
    /// <summary>True when a database exception is anywhere in <paramref name="exception"/>'s chain.</summary>
    public static bool IsCauseOf(Exception exception)
    {
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            if (ex is System.Data.Common.DbException)
            {
                return true;
            }
        }

        return false;
    }
}
