namespace BallOrleans.Tests.Infrastructure;

/// <summary>Where the checkout is, found from the test binaries (scripts, manifests and docs live there).</summary>
public static class Repository
{
    public static string Root()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "BallOrleans.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("BallOrleans.sln not found above the test binaries");
    }
}
