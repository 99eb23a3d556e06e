using IntegrationHub.Contracts.Payments.Commands;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Security;
using IntegrationHub.Payments.Ledger;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace IntegrationHub.Payments.Reconciliation;

/// <summary>
/// For operators (scope <c>ops</c>): <c>POST /api/v1/payments/reconciliations</c> runs a reconciliation now and
/// <c>GET /api/v1/payments/reconciliations/{runId}</c> reads its report (what <c>hubctl payments reconcile</c> does
/// through the broker and the database); <c>GET /api/v1/payments/callbacks</c> lists the gateways' latest callbacks.
/// </summary>
public static class ReconciliationApi
{
    public sealed record ReconcileRequest(string? Date, string? Account);

    public sealed record RunView(string RunId, string Account, DateOnly Day, string RequestedBy, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, int Checked,
        IReadOnlyList<Mismatch> Mismatches, string? Error);

    public static void MapReconciliationApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/payments/reconciliations").WithTags("Payments").RequireAuthorization(HubScopes.Ops);
        group.MapPost("", Start).WithName("ReconcilePayments")
            .WithSummary("Reconcile one day (UTC) of one account, or of every account, with the gateways now")
            .WithDescription("Body: `{ date: \"2026-12-03\", account? }`. 202 with the run ids; read each with GET …/reconciliations/{runId}.");
        group.MapGet("/{runId}", Show).WithName("GetPaymentReconciliation").WithSummary("A reconciliation run and the mismatches it found");
        app.MapGet("/api/v1/payments/callbacks", Callbacks).WithTags("Payments").RequireAuthorization(HubScopes.Ops).WithName("ListPaymentCallbacks")
            .WithSummary("The gateways' latest callbacks, newest first: accepted, refused (and why) or ignored; no bodies")
            .WithDescription("Scope `ops`. `limit` 1–1000 (100).");
    }

    static async Task<Results<Accepted<string[]>, ValidationProblem, ProblemHttpResult>> Start(ReconcileRequest? body, HttpContext http,
        [FromServices] EndpointRuntime<PaymentsEndpoint> payments, [FromServices] PaymentsOptions options)
    {
        if (body?.Date is not { } text || !DateOnly.TryParseExact(text, "yyyy-MM-dd", out var day))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["date"] = ["date is a day such as 2026-12-03 (UTC)."] });
        var accounts = options.Accounts.Where(a => body.Account is null || a.Name == body.Account).Select(a => a.Name).ToList();
        if (accounts.Count == 0)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["account"] = [$"No payment account '{body.Account}'."] });
        var runs = accounts.Select(a => (Account: a, RunId: $"rec_{a}_{day:yyyyMMdd}_{Guid.NewGuid().ToString("N")[..12]}")).ToList();
        if (await payments.Commit(http, async bus =>
            {
                foreach (var (account, runId) in runs) await bus.SendLocal(new ReconcileAccount(runId, account, day, "api"));
            }, "the reconciliation") is { } down)
            return down;
        return TypedResults.Accepted((string?)null, runs.Select(r => r.RunId).ToArray());
    }

    static async Task<Ok<CallbackRow[]>> Callbacks(int? limit, [FromServices] IPaymentLedger ledger, CancellationToken cancellationToken) =>
        TypedResults.Ok((await ledger.Callbacks(Math.Clamp(limit ?? 100, 1, 1000), cancellationToken)).ToArray());

    static async Task<Results<Ok<RunView>, ProblemHttpResult>> Show(string runId, [FromServices] IPaymentLedger ledger, CancellationToken cancellationToken) =>
        await ledger.Run(runId, cancellationToken) is { } run
            ? TypedResults.Ok(new RunView(run.RunId, run.Account, run.Day, run.RequestedBy, run.StartedAt, run.FinishedAt, run.Checked, run.Mismatches ?? [], run.Error))
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such reconciliation run", detail: $"No run '{runId}' (yet).");
}
