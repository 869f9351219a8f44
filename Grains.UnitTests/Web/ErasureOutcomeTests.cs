using System.Reflection;
using BallOrleans.Grains.Privacy;
using BallOrleans.Grains.Visitors;
using BallOrleans.Web.Privacy;
using BallOrleans.Web.Visits;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using BallOrleans.Web.Cookies;

namespace BallOrleans.Tests.Web;

/// <summary>
/// What <see cref="VisitorErasures"/> makes of each erasure attempt's fate, and what the forget page
/// answers for it: "forgotten" only on a confirmed commit, an unknown outcome erased again until it
/// is known or the deadline passes, then 503. Pure logic, so the visitor's grain is a scripted
/// stand-in; the real grain's side is pinned in Grains.Tests (GuardedErasureTests, SynchronousCommitTests).
/// </summary>
// Alone: its deadlines are real time, and CPU-bound tests beside it starve the thread pool for seconds.
[Collection(BallOrleans.Tests.Bots.MeasuredAlone.Name)]
public sealed class ErasureOutcomeTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMilliseconds(600);

    [Fact]
    public async Task An_erasure_that_stays_unknown_is_erased_again_until_the_deadline_then_unconfirmed()
    {
        var visitor = new ScriptedVisitor(_ => Task.FromResult(ErasureOutcome.Unknown));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var outcome = await Erasures(visitor).EraseAsync("visitor", ErasureReason.Forget);

        Assert.Equal(ErasureOutcome.Unknown, outcome);
        Assert.True(visitor.Calls > 1, $"an unknown outcome must be erased again, not given up at once ({visitor.Calls} calls)");
        // Not a speed check: it ends (at the deadline, give or take a busy machine's scheduling), and not before.
        Assert.InRange(clock.Elapsed, Deadline - TimeSpan.FromMilliseconds(550), Deadline + TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task An_unknown_erasure_followed_by_nothing_left_to_erase_is_erased()
    {
        var visitor = new ScriptedVisitor(_ => Task.FromResult(ErasureOutcome.Unknown), _ => Task.FromResult(ErasureOutcome.NothingToErase));

        Assert.Equal(ErasureOutcome.Erased, await Erasures(visitor).EraseAsync("visitor", ErasureReason.Forget));
        Assert.Equal(2, visitor.Calls);
    }

    [Fact]
    public async Task A_lost_call_followed_by_nothing_left_to_erase_is_erased()
    {
        var visitor = new ScriptedVisitor(_ => Task.FromException<ErasureOutcome>(new TimeoutException("no answer")), _ => Task.FromResult(ErasureOutcome.NothingToErase));

        Assert.Equal(ErasureOutcome.Erased, await Erasures(visitor).EraseAsync("visitor", ErasureReason.Forget));
    }

    [Fact]
    public async Task A_call_that_never_answers_is_abandoned_at_the_deadline_as_unconfirmed()
    {
        var never = new TaskCompletionSource<ErasureOutcome>();
        var visitor = new ScriptedVisitor(_ => never.Task);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        Assert.Equal(ErasureOutcome.Unknown, await Erasures(visitor).EraseAsync("visitor", ErasureReason.Forget));
        // Not a speed check: it gives up (at the deadline, give or take a busy machine's scheduling), and not before.
        Assert.InRange(clock.Elapsed, Deadline - TimeSpan.FromMilliseconds(100), Deadline + TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Nothing_to_erase_on_the_first_attempt_stays_nothing_to_erase()
    {
        var visitor = new ScriptedVisitor(_ => Task.FromResult(ErasureOutcome.NothingToErase));

        Assert.Equal(ErasureOutcome.NothingToErase, await Erasures(visitor).EraseAsync("visitor", ErasureReason.Admin));
    }

    [Fact]
    public async Task A_refusal_before_any_attempt_could_have_erased_is_not_erased_at_once()
    {
        var refused = new ScriptedVisitor(_ => Task.FromResult(ErasureOutcome.NotErased));
        var down = new ScriptedVisitor(_ => Task.FromException<ErasureOutcome>(new NpgsqlException("the database went away")));

        Assert.Equal(ErasureOutcome.NotErased, await Erasures(refused).EraseAsync("visitor", ErasureReason.Forget));
        Assert.Equal(ErasureOutcome.NotErased, await Erasures(down).EraseAsync("visitor", ErasureReason.Forget));
        Assert.Equal(1, refused.Calls);
        Assert.Equal(1, down.Calls);
    }

    [Fact]
    public async Task A_refusal_after_an_unknown_attempt_is_still_unknown()
    {
        var visitor = new ScriptedVisitor(_ => Task.FromResult(ErasureOutcome.Unknown), _ => Task.FromResult(ErasureOutcome.NotErased));

        Assert.Equal(ErasureOutcome.Unknown, await Erasures(visitor).EraseAsync("visitor", ErasureReason.Forget));
    }

    [Fact]
    public async Task The_forget_page_answers_an_unknown_erasure_with_503_and_keeps_the_cookie()
    {
        var (status, headers, body) = await AnswerAsync(ErasureOutcome.Unknown);

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, status);
        Assert.Equal(ForgetEndpoints.Unknown, headers[ForgetEndpoints.OutcomeHeader]);
        Assert.DoesNotContain("You are forgotten", body, StringComparison.Ordinal);
        Assert.Contains("may or may not be gone", body, StringComparison.Ordinal);
        Assert.False(headers.ContainsKey("Set-Cookie"), "the cookie must stay, so that a retry can finish the erasure");
    }

    [Fact]
    public async Task The_forget_page_answers_a_refused_erasure_with_503_not_erased()
    {
        var (status, headers, body) = await AnswerAsync(ErasureOutcome.NotErased);

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, status);
        Assert.Equal(ForgetEndpoints.NotErased, headers[ForgetEndpoints.OutcomeHeader]);
        Assert.DoesNotContain("You are forgotten", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ErasureOutcome.Erased)]
    [InlineData(ErasureOutcome.NothingToErase)]
    public async Task The_forget_page_says_forgotten_and_expires_the_cookie_only_after_a_confirmed_erasure(ErasureOutcome outcome)
    {
        var (status, headers, body) = await AnswerAsync(outcome);

        Assert.Equal(StatusCodes.Status200OK, status);
        Assert.Contains("You are forgotten", body, StringComparison.Ordinal);
        Assert.Contains(VisitorCookie.Name, headers["Set-Cookie"].ToString(), StringComparison.Ordinal);
    }

    private static VisitorErasures Erasures(IVisitorGrain visitor) => new(
        GrainsServing(visitor),
        Options.Create(new VisitOptions { RetryDeadline = Deadline }),
        NullLogger<VisitorErasures>.Instance);

    private static IGrainFactory GrainsServing(IVisitorGrain visitor)
    {
        var grains = DispatchProxy.Create<IGrainFactory, VisitOutcomeTests.OneGrainFactory>();
        ((VisitOutcomeTests.OneGrainFactory)(object)grains).Visitor = visitor;
        return grains;
    }

    private static async Task<(int Status, IHeaderDictionary Headers, string Body)> AnswerAsync(ErasureOutcome outcome)
    {
        var context = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        context.Request.Headers.Accept = "text/html";
        context.Response.Body = new MemoryStream();
        await ForgetEndpoints.Answer(context, outcome).ExecuteAsync(context);
        context.Response.Body.Position = 0;
        return (context.Response.StatusCode, context.Response.Headers, await new StreamReader(context.Response.Body).ReadToEndAsync());
    }

    /// <summary>Answers each erasure with the next step of its script (the last one repeats), and counts the calls.</summary>
    private sealed class ScriptedVisitor(params Func<int, Task<ErasureOutcome>>[] script) : IVisitorGrain
    {
        public int Calls { get; private set; }

        public Task<ErasureOutcome> ForgetAsync(ErasureReason reason)
        {
            Calls++;
            return script[Math.Min(Calls, script.Length) - 1](Calls);
        }

        public Task<VisitOutcome> VisitAsync(VisitAttempt attempt) => throw new NotSupportedException();

        public Task<VisitorView?> PeekAsync() => throw new NotSupportedException();
    }
}
