using System.Net.Http.Headers;
using System.Text;
using BallOrleans.Tests.Infrastructure;

namespace BallOrleans.Tests.Web;

/// <summary>Shared steps of the web tests: the real app on a test database, with the stats open to an admin.</summary>
internal static class WhoIsCounted
{
    public static BallWebApp StartApp(string database, params (string Key, string Value)[] settings)
    {
        var all = new Dictionary<string, string?>();
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        return new BallWebApp(database, settings: all);
    }

    public static HttpClient Admin(BallWebApp app)
    {
        var client = app.CreateCookielessClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{BallWebApp.Password}")));
        return client;
    }

    public static async Task<HttpResponseMessage> GetAsync(
        HttpClient client, string path, string? userAgent = null, string? cookie = null, HttpMethod? method = null,
        params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, path);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (userAgent is not null)
        {
            request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        }

        if (cookie is not null)
        {
            request.Headers.TryAddWithoutValidation("Cookie", $"ball_visitor={cookie}");
        }

        return await client.SendAsync(request);
    }
}
