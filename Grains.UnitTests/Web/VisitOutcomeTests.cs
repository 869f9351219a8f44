using BallOrleans.Grains.Privacy;
using System.Net;
using System.Reflection;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Visitors;
using BallOrleans.Web.Visits;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using BallOrleans.Web.Limits;

namespace BallOrleans.Tests.Web;

/// <summary>
/// What <see cref="VisitService"/> makes of each attempt's fate: the retry protocol and the honest
/// label ("not counted" only when no attempt may have counted). Pure logic, so the visitor's grain
/// is a scripted stand-in; the real grain's side of the protocol is pinned in <see cref="VisitRetryTests"/>.
/// </summary>
public sealed class VisitOutcomeTests
{
    private static readonly VisitOutcome Shown = new VisitOutcome.Counted(new VisitorView(BallColor.Red, 7, DateTimeOffset.UnixEpoch));

    private static readonly VisitRequest Returning = new("returning", IPAddress.Loopback, UserAgent: null);

    [Fact]
    public async Task Storage_refusing_the_only_attempt_is_not_counted()
    {
        var visitor = new ScriptedVisitor(_ => Task.FromResult<VisitOutcome>(new VisitOutcome.NotCounted()));

        Assert.IsType<VisitOutcome.NotCounted>(OutcomeOf(await Service(visitor).VisitAsync(Returning)));
    }

    [Fact]
    public async Task A_database_error_on_the_only_attempt_is_not_counted()
    {
        var visitor = new ScriptedVisitor(_ => Task.FromException<VisitOutcome>(new NpgsqlException("the database went away")));

        Assert.IsType<VisitOutcome.NotCounted>(OutcomeOf(await Service(visitor).VisitAsync(Returning)));
    }

    [Fact]
    public async Task Storage_refusing_a_retry_after_a_lost_attempt_is_unknown_not_uncounted()
    {
        var visitor = new ScriptedVisitor(
            _ => Task.FromException<VisitOutcome>(new TimeoutException("no answer")),
            _ => Task.FromResult<VisitOutcome>(new VisitOutcome.NotCounted()));

        Assert.IsType<VisitOutcome.Unknown>(OutcomeOf(await Service(visitor).VisitAsync(Returning)));
    }

    [Fact]
    public async Task A_database_error_after_a_lost_attempt_is_unknown_too()
    {
        var visitor = new ScriptedVisitor(
            _ => Task.FromException<VisitOutcome>(new TimeoutException("no answer")),
            _ => Task.FromException<VisitOutcome>(new NpgsqlException("the database went away")));

        Assert.IsType<VisitOutcome.Unknown>(OutcomeOf(await Service(visitor).VisitAsync(Returning)));
    }

    [Fact]
    public async Task A_visit_the_grain_cannot_confirm_is_unknown()
    {
        var visitor = new ScriptedVisitor(_ => Task.FromResult<VisitOutcome>(new VisitOutcome.Unknown()));

        Assert.IsType<VisitOutcome.Unknown>(OutcomeOf(await Service(visitor).VisitAsync(Returning)));
    }

    [Fact]
    public async Task An_attempt_without_an_answer_is_given_up_after_the_attempt_timeout_and_retried_with_the_same_id()
    {
        var never = new TaskCompletionSource<VisitOutcome>();
        var visitor = new ScriptedVisitor(_ => never.Task, _ => Task.FromResult(Shown));

        var outcome = OutcomeOf(await Service(visitor, attemptTimeout: TimeSpan.FromMilliseconds(200)).VisitAsync(Returning));

        Assert.Equal(7, Assert.IsType<VisitOutcome.Counted>(outcome).View.Views);
        Assert.Equal(2, visitor.Calls.Count);
        Assert.Equal(visitor.Calls[0].RequestId, visitor.Calls[1].RequestId);
        Assert.NotNull(VisitRequestId.BeganAt(visitor.Calls[0].RequestId));
        // The first attempt says until when it is the only one; the retry cannot.
        Assert.InRange(visitor.Calls[0].SoleAttemptUntil - VisitRequestId.BeganAt(visitor.Calls[0].RequestId)!.Value, 150, 1_000);
        Assert.Equal(0, visitor.Calls[1].SoleAttemptUntil);
    }

    private static VisitOutcome OutcomeOf(VisitResult result) => Assert.IsType<VisitResult.Answered>(result).Outcome;

    private static VisitService Service(IVisitorGrain visitor, TimeSpan? attemptTimeout = null) => new(
        GrainsServing(visitor),
        ColorAssignmentTests.Assignment(50, 50),
        new NewVisitorLimit(Options.Create(new NewVisitorLimitOptions()), TimeProvider.System),
        Options.Create(new VisitOptions { AttemptTimeout = attemptTimeout ?? TimeSpan.FromSeconds(1) }),
        NullLogger<VisitService>.Instance);

    private static IGrainFactory GrainsServing(IVisitorGrain visitor)
    {
        var grains = DispatchProxy.Create<IGrainFactory, OneGrainFactory>();
        ((OneGrainFactory)(object)grains).Visitor = visitor;
        return grains;
    }

    /// <summary>Every GetGrain of a visitor answers the one scripted visitor; nothing else is served.</summary>
    public class OneGrainFactory : DispatchProxy
    {
        public IVisitorGrain? Visitor { get; set; }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            targetMethod is { Name: nameof(IGrainFactory.GetGrain), ReturnType: var type } && type == typeof(IVisitorGrain)
                ? Visitor
                : throw new NotSupportedException($"{targetMethod?.Name} is not part of this test");
    }

    /// <summary>Answers each attempt with the next step of its script, and records what each carried.</summary>
    private sealed class ScriptedVisitor(params Func<VisitAttempt, Task<VisitOutcome>>[] script) : IVisitorGrain
    {
        public List<VisitAttempt> Calls { get; } = [];

        public Task<VisitOutcome> VisitAsync(VisitAttempt attempt)
        {
            Calls.Add(attempt);
            return script[Math.Min(Calls.Count, script.Length) - 1](attempt);
        }

        public Task<ErasureOutcome> ForgetAsync(ErasureReason reason) => throw new NotSupportedException();

        public Task<VisitorView?> PeekAsync() => throw new NotSupportedException();
    }
}
