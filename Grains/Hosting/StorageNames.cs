namespace BallOrleans.Grains.Hosting;

/// <summary>Names of the grain storage providers.</summary>
public static class StorageNames
{
    /// <summary>Visitor state: ADO.NET storage on PostgreSQL.</summary>
    public const string Visitors = "visitors";
}
