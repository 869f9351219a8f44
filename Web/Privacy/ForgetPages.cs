using BallOrleans.Web.Hosting;

namespace BallOrleans.Web.Privacy;

/// <summary>The plain pages of <c>POST /forget</c>: done, nothing to forget, or not now.</summary>
public static class ForgetPages
{
    public static string Forgotten() => Page("You are forgotten", """
        <p class="caption" id="forgotten">You are forgotten.</p>
        <p class="notice">Your ball, your views and your cookie are gone, and your views no longer count in the stats.
        If you come back, you are a new visitor, and your ball may be the other color.</p>
        <p><a href="/">See a ball</a></p>
        """);

    public static string NothingToForget() => Page("Nothing to forget", """
        <p class="caption" id="nothing-to-forget">There is nothing to forget.</p>
        <p class="notice">Your browser sent no visitor cookie (ball_visitor), so this site keeps nothing about it.</p>
        <p><a href="/">See a ball</a></p>
        """);

    public static string NotNow() => Page("Not forgotten yet", """
        <p class="caption" id="not-forgotten">We could not confirm that you are forgotten.</p>
        <p class="notice">The database did not confirm the erasure in time: your record may or may not be gone. Please try again in a moment; trying again is safe.</p>
        <p><a href="/">Back to the ball</a></p>
        """);

    public static string NotErased() => Page("Not forgotten yet", """
        <p class="caption" id="not-erased">We could not forget you just now.</p>
        <p class="notice">The database could not take the erasure, so nothing was erased yet. Please try again in a moment.</p>
        <p><a href="/">Back to the ball</a></p>
        """);

    private static string Page(string title, string body) => HtmlDocument.Of(title, body);
}
