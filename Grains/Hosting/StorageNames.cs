namespace BallOrleans.Grains.Hosting;

/// <summary>Names of the grain storage providers.</summary>
public static class StorageNames
{
    /// <summary>Visitor state: ADO.NET storage on PostgreSQL, behind <see cref="Storage.MintedVisitorStorage"/>.</summary>
    public const string Visitors = "visitors";

    /// <summary>The ADO.NET provider itself, which <see cref="Visitors"/> delegates to.</summary>
    public const string VisitorsAdoNet = "visitors-adonet";
}
