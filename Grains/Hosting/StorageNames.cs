namespace BallOrleans.Grains.Hosting;

/// <summary>Names of the grain storage and of the state it keeps.</summary>
public static class StorageNames
{
    /// <summary>
    /// The visitors' storage: <see cref="Storage.GroupedVisitorStorage"/>, or the ADO.NET provider
    /// (<c>Storage:Visitors</c>); both keep the same rows.
    /// </summary>
    public const string Visitors = "visitors";

    /// <summary>The state name of a visitor's row (<c>ball_grain_state.state_name</c>).</summary>
    public const string VisitorState = "visitor";
}
