namespace BallOrleans.Web;

/// <summary>A one-line progress bar on standard error, redrawn in place.</summary>
internal static class ProgressBar
{
    private const int Width = 30;

    public static void Draw((string Phase, long Done, long Total) progress)
    {
        var fraction = progress.Total == 0 ? 1 : (double)progress.Done / progress.Total;
        var filled = (int)Math.Round(fraction * Width);
        Console.Error.Write($"\r{progress.Phase,-12} [{new string('#', filled)}{new string('.', Width - filled)}] {fraction,4:P0} {progress.Done:N0}/{progress.Total:N0}   ");
    }
}
