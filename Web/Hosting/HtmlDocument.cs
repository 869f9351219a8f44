namespace BallOrleans.Web.Hosting;

/// <summary>The document around every server-rendered page of the site: head, stylesheet, and one <c>main</c>.</summary>
public static class HtmlDocument
{
    /// <param name="title">Already safe for HTML.</param>
    /// <param name="main">The content of <c>main</c>, already safe for HTML.</param>
    public static string Of(string title, string main) => $"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{title}</title>
        <link rel="icon" href="data:,">
        <link rel="stylesheet" href="/site.css">
        </head>
        <body>
        <main>
        {main}
        </main>
        </body>
        </html>
        """;
}
