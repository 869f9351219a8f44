using System.Globalization;
using BallOrleans.Grains.Visitors;
using BallOrleans.Web.Hosting;

namespace BallOrleans.Web.Visits;

/// <summary>
/// The HTML of the ball page. Self-contained: an inline SVG and one local stylesheet. Every page
/// with a ball takes the request's <see cref="Exposure"/> and marks it shown where the ball is
/// written, so no ball can be answered without the waterfall's "shown" hearing of it.
/// </summary>
public static class BallPage
{
    public static string Render(BallColor color, long views, bool counted, Exposure exposure)
    {
        var name = color.Name();
        var times = views == 1 ? "1 time" : $"{views.ToString(CultureInfo.InvariantCulture)} times";
        var caption = counted || views > 0
            ? $"You have seen the <strong>{name}</strong> ball {times}."
            : $"This is the <strong>{name}</strong> ball.";
        // Only someone the site keeps a record of has something to forget.
        var forget = views > 0 ? ForgetForm : "";
        return Document(color, views, $"The {name} ball", $"""<p class="caption" id="caption">{caption}</p>{forget}""", preview: false, exposure);
    }

    /// <summary>
    /// A plain form, no script: the browser posts it with the visitor's cookie (SameSite=Lax sends
    /// it on a same-site POST only) and says where it came from, which <c>POST /forget</c> checks.
    /// </summary>
    private const string ForgetForm = """
        <form class="forget" id="forget" method="post" action="/forget">
        <button type="submit">Forget me</button>
        <span class="notice">Erases your ball, your views and your cookie.</span>
        </form>
        """;

    /// <summary>The page of <paramref name="color"/> shown on request, saying that it is a preview and counts nothing.</summary>
    public static string Preview(BallColor color, Exposure exposure)
    {
        var name = color.Name();
        return Document(color, 0, $"Preview: the {name} ball", $"""
            <p class="caption" id="caption">Preview of the <strong>{name}</strong> ball.</p>
            <p class="notice" id="preview">This is a preview: nothing is counted, no cookie is set, and nobody's ball changes.</p>
            """, preview: true, exposure);
    }

    private static string Document(BallColor color, long views, string title, string captions, bool preview, Exposure exposure)
    {
        exposure.Shown(color);
        var name = color.Name();
        var (light, dark) = color == BallColor.Red ? ("#ff8a80", "#c62828") : ("#82b1ff", "#1565c0");
        var previewMark = preview ? " data-preview=\"true\"" : "";
        return HtmlDocument.Of(title, $"""
            <figure class="ball" id="ball" data-color="{name}" data-views="{views.ToString(CultureInfo.InvariantCulture)}"{previewMark}>
            <svg viewBox="0 0 200 200" role="img" aria-label="A {name} ball"><defs><radialGradient id="shade" cx="35%" cy="30%" r="75%"><stop offset="0%" stop-color="{light}"/><stop offset="100%" stop-color="{dark}"/></radialGradient></defs><circle cx="100" cy="100" r="92" fill="url(#shade)"/></svg>
            </figure>
            {captions}
            """);
    }

    /// <summary>The 503 page when storage refused the visit: nothing was counted.</summary>
    public static string NotCounted() => Notice(
        "This visit was not counted: we could not store it just now.", "Please reload in a moment.");

    /// <summary>The 503 page when the cluster did not answer in time: the visit may have been counted or not.</summary>
    public static string OutcomeUnknown() => Notice(
        "We could not confirm whether this visit was counted: it may have been.",
        "Please reload in a moment; the count you see then is the true one.");

    private static string Notice(string caption, string notice) =>
        HtmlDocument.Of("Back in a moment", $"""<p class="caption">{caption}</p><p class="notice">{notice}</p>""");
}
