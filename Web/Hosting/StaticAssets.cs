namespace BallOrleans.Web.Hosting;

/// <summary>Where <c>wwwroot</c> is found, whichever way the site is started.</summary>
public static class StaticAssets
{
    /// <summary>
    /// A publish folder carries <c>wwwroot</c> beside the dll (the content root). A build
    /// (<c>dotnet run</c>, the tests) does not: its static web assets manifest points at the
    /// project's <c>wwwroot</c>, and ASP.NET Core reads that manifest only in Development unless asked.
    /// </summary>
    public static IWebHostBuilder UseBallStaticFiles(this IWebHostBuilder web, IWebHostEnvironment environment)
    {
        if (!environment.IsDevelopment())
        {
            // No manifest (a publish folder): nothing changes.
            web.UseStaticWebAssets();
        }

        return web;
    }
}
