using System.Security.Cryptography;
using System.Text.Json;
using IntegrationHub.Adapters.Notifications;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Departments;
using IntegrationHub.Hosting.Http;
using IntegrationHub.Hosting.Security;
using IntegrationHub.Notifications.Sending;
using IntegrationHub.Notifications.Store;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace IntegrationHub.Notifications.Api;

/// <summary>
/// The departments' side (docs/notifications.md): templates (<c>/api/v1/notifications/templates</c>), requests
/// (<c>POST /api/v1/notifications</c> → 202 and a status resource), each recipient's state. Scopes
/// <c>notifications:write</c> and <c>notifications:read</c>.
/// </summary>
public static class NotificationsApi
{
    public const int MaxTemplateBytes = 64 * 1024;
    const string SendRoute = "POST " + NotificationStatuses.Route;

    public static void MapNotificationsApi(this IEndpointRouteBuilder app)
    {
        var templates = app.MapGroup("/api/v1/notifications/templates").WithTags("Notifications").RequireDepartment();
        templates.MapPost("", SaveTemplate).RequireAuthorization(NotificationScopes.Write.Name).WithName("SaveNotificationTemplate")
            .WithSummary("Save a template as its next version: text per language, a fallback language, an SMS segment limit, a registration id")
            .WithDescription("Body: `{ id, channel: sms|email, fallbackLanguage, texts: { en: { body, subject? }, ur: {…}, hi: {…} }, maxSegments?, registrationId?, otp? }`. " +
                "201 with the version; 409 when a registered template's text changes without a new registrationId; 400 names every problem, syntax errors included.");
        templates.MapGet("/{id}", ShowTemplate).RequireAuthorization(NotificationScopes.Read.Name).WithName("GetNotificationTemplate")
            .WithSummary("A template's latest version (or `?version=`)");

        var group = app.MapGroup(NotificationStatuses.Route).WithTags("Notifications").RequireDepartment();
        group.MapPost("", Send).RequireAuthorization(NotificationScopes.Write.Name).WithName("SendNotifications")
            .WithSummary("Notify one or many recipients by SMS or e-mail, from a template or raw content")
            .WithDescription("Body: `{ channel, recipients: [\"0300 1234567\" | { to, data?, language? }], template?: { id, version? }, data?, content?: { body, subject? }, " +
                "language?, priority?: normal|critical }`. Every recipient is normalised (E.164 in the department's region; e-mail addresses checked) and every " +
                "message rendered before anything is sent: invalid recipients are reported and skipped, missing template data refuses the request. " +
                "202 with the status resource; `GET …/{id}/recipients` gives each recipient's state; webhook `notification.batch-completed`.")
            .Produces<AcceptedView>(StatusCodes.Status202Accepted).ProducesValidationProblem();
        group.MapGet("/{id}", Show).RequireAuthorization(NotificationScopes.Read.Name).WithName("GetNotifications").WithSummary("A request's status and timeline");
        group.MapGet("/{id}/recipients", Recipients).RequireAuthorization(NotificationScopes.Read.Name).WithName("GetNotificationRecipients")
            .WithSummary("Each recipient's message and where it stands (masked), and how many are in each state");
    }

    public sealed record TemplateView(string Id, int Version, string Channel, string FallbackLanguage, IReadOnlyDictionary<string, TemplateText> Texts, int? MaxSegments,
        string? RegistrationId, bool Otp, DateTimeOffset CreatedAt);

    public sealed record RecipientView(string MessageId, string To, string State, string? Provider, string? Code, DateTimeOffset UpdatedAt);

    public sealed record RecipientsView(string BatchId, int Total, int Ended, IReadOnlyDictionary<string, int> Counts, IReadOnlyList<RecipientView> Recipients);

    static string Department(HttpContext http) => DepartmentRegistry.Normalize(http.User.Department()!);

    static async Task<Results<Created<TemplateView>, ValidationProblem, ProblemHttpResult>> SaveTemplate(HttpContext http, [FromServices] INotificationStore store,
        [FromServices] TimeProvider clock)
    {
        var body = await RequestBodies.ReadLimited(http.Request, MaxTemplateBytes);
        if (body is null) return RequestBodies.TooLarge(MaxTemplateBytes, "template");
        using var json = JsonBodies.Parse(body, out var problem);
        if (json is null || json.RootElement.ValueKind != JsonValueKind.Object) return Invalid("body", problem ?? "The body must be a JSON object.");
        var root = json.RootElement;
        var errors = new Dictionary<string, string[]>();
        var id = JsonFields.Text(root, "id", errors, required: true, max: 64);
        if (id is not null && !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')) errors["id"] = ["id is letters, digits, '-' and '_'."];
        var channelText = JsonFields.Text(root, "channel", errors, required: true, max: 5);
        Channel? channel = channelText switch { "sms" => Channel.Sms, "email" => Channel.Email, null => null, _ => null };
        if (channelText is not null && channel is null) errors["channel"] = ["channel is sms or email."];
        var fallback = JsonFields.Text(root, "fallbackLanguage", errors, required: true, max: 8);
        var texts = new Dictionary<string, TemplateText>(StringComparer.Ordinal);
        if (!root.TryGetProperty("texts", out var list) || list.ValueKind != JsonValueKind.Object)
            errors["texts"] = ["texts is an object of languages, e.g. { \"en\": { \"body\": \"…\" } }."];
        else
            foreach (var language in list.EnumerateObject().Take(20))
            {
                var text = JsonFields.Text(language.Value, "body", errors, required: true, max: 20_000, prefix: $"texts.{language.Name}.", lineBreaks: true);
                var subject = JsonFields.Text(language.Value, "subject", errors, max: 500, prefix: $"texts.{language.Name}.");
                if (channel == Channel.Email && subject is null) errors[$"texts.{language.Name}.subject"] = ["an e-mail template's text has a subject."];
                if (text is not null) texts[language.Name] = new TemplateText(text, subject);
            }
        int? maxSegments = null;
        if (root.TryGetProperty("maxSegments", out var max) && max.ValueKind != JsonValueKind.Null)
            if (max.ValueKind == JsonValueKind.Number && max.TryGetInt32(out var m) && m is >= 1 and <= 10) maxSegments = m;
            else errors["maxSegments"] = ["maxSegments is 1 to 10."];
        var registration = JsonFields.Text(root, "registrationId", errors, max: 64);
        var otp = root.TryGetProperty("otp", out var o) && o.ValueKind == JsonValueKind.True;
        if (fallback is not null && texts.Count > 0 && !texts.ContainsKey(fallback)) errors["fallbackLanguage"] = [$"the fallback language '{fallback}' has no text."];
        if (errors.Count == 0)
        {
            var parsed = new NotificationTemplate(texts, fallback!, maxSegments);
            foreach (var syntax in parsed.Problems()) errors["texts"] = [.. errors.GetValueOrDefault("texts") ?? [], syntax];
        }
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "The template is not valid");

        var saved = await store.SaveTemplate(new TemplateRow(Department(http), id!, 0, channel!.Value, fallback!, texts, maxSegments, registration, otp, clock.GetUtcNow()),
            http.RequestAborted);
        return saved.Saved is { } row
            ? TypedResults.Created($"/api/v1/notifications/templates/{row.Id}?version={row.Version}", View(row))
            : TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The template cannot change so", detail: saved.Conflict);
    }

    static async Task<Results<Ok<TemplateView>, ProblemHttpResult>> ShowTemplate(string id, int? version, HttpContext http, [FromServices] INotificationStore store) =>
        await store.Template(Department(http), id, version, http.RequestAborted) is { } row
            ? TypedResults.Ok(View(row))
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such template", detail: $"The department has no template '{id}'.");

    static TemplateView View(TemplateRow row) => new(row.Id, row.Version, row.Channel.ToString().ToLowerInvariant(), row.FallbackLanguage, row.Texts, row.MaxSmsSegments,
        row.RegistrationId, row.Otp, row.CreatedAt);

    static async Task<Results<Accepted<AcceptedView>, ValidationProblem, ProblemHttpResult>> Send(HttpContext http, [FromServices] INotificationStore store,
        [FromServices] NotificationsOptions options, [FromServices] EndpointRuntime<NotificationsEndpoint> notifications, [FromServices] TimeProvider clock)
    {
        var department = Department(http);
        var errors = new Dictionary<string, string[]>();
        var key = IdempotencyKeys.Read(http.Request, errors);
        // Bodies sized for the recipient limit: about 300 bytes a recipient with its own data.
        var maxBytes = Math.Max(64 * 1024, options.MaxRecipients * 300);
        var body = await RequestBodies.ReadLimited(http.Request, maxBytes);
        if (body is null) return RequestBodies.TooLarge(maxBytes, "notification request");
        using var json = JsonBodies.Parse(body, out var problem);
        if (json is null || json.RootElement.ValueKind != JsonValueKind.Object) return Invalid("body", problem ?? "The body must be a JSON object.");
        if (options.Of(department) is not { } settings)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "No notification providers",
                detail: $"Department '{department}' has no providers in {NotificationsOptions.SectionName}:Departments.");
        var request = NotificationRequest.Read(json.RootElement, options.MaxRecipients, errors);
        if (request is null || errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "The request is not valid");
        if ((request.Channel == Channel.Sms ? settings.SmsProviders : settings.EmailProviders).Count == 0)
            return Invalid("channel", $"Department '{department}' has no {request.Channel} providers.");
        var bodyHash = Convert.ToHexString(SHA256.HashData(body));
        if (key is not null && await notifications.Status.Store.FindIdempotencyKey(department, SendRoute, key) is not null)
            return await notifications.Status.Accept(http, NotificationStatuses.Kind, new NewStatusResource("replay", department, clock.GetUtcNow(),
                new Dictionary<string, string>(), SendRoute, key, bodyHash), _ => Task.CompletedTask);

        NotificationTemplate? template = null;
        TemplateRow? row = null;
        if (request.TemplateId is { } templateId)
        {
            row = await store.Template(department, templateId, request.TemplateVersion, http.RequestAborted);
            if (row is null) return Invalid("template", $"The department has no template '{templateId}'{(request.TemplateVersion is { } v ? $" version {v}" : "")}.");
            if (row.Channel != request.Channel) return Invalid("template", $"Template '{templateId}' is a {row.Channel} template.");
            template = new NotificationTemplate(row.Texts, row.FallbackLanguage, row.MaxSmsSegments);
        }
        else
            template = new NotificationTemplate(new Dictionary<string, TemplateText> { ["raw"] = new(request.Content!.Body, request.Content.Subject) }, "raw",
                maxSmsSegments: 10);

        // Every recipient checked and every message rendered before anything is sent.
        var invalid = new List<object>();
        var messages = new List<(string Id, string To, string Body, string? Subject)>();
        var renderProblems = new SortedSet<string>(StringComparer.Ordinal);
        var batchId = "ntf_" + Guid.NewGuid().ToString("N");
        for (var i = 0; i < request.Recipients.Count; i++)
        {
            var recipient = request.Recipients[i];
            string? to, why;
            var ok = request.Channel == Channel.Sms
                ? Adapters.Notifications.Recipients.TryPhone(recipient.To, settings.DefaultRegion, out to, out why)
                : Adapters.Notifications.Recipients.TryEmail(recipient.To, out to, out why);
            if (!ok)
            {
                invalid.Add(new { index = i, problem = why });
                continue;
            }
            var data = new Dictionary<string, object?>(request.Data);
            foreach (var (name, value) in recipient.Data) data[name] = value;
            switch (template.Render(recipient.Language ?? request.Language, data, sms: request.Channel == Channel.Sms))
            {
                case Rendered.Text text:
                    messages.Add(($"{batchId}_{messages.Count:D5}", to!, text.Body, text.Subject));
                    break;
                case Rendered.Refused refused:
                    foreach (var p in refused.Problems) renderProblems.Add(p);
                    break;
            }
        }
        if (renderProblems.Count > 0)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["data"] = [.. renderProblems] }, title: "The messages cannot be rendered");
        if (messages.Count == 0)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["recipients"] = ["No recipient is valid."] }, title: "Nothing to send");

        var now = clock.GetUtcNow();
        var resource = new NewStatusResource(batchId, department, now, new Dictionary<string, string>
        {
            ["channel"] = request.Channel.ToString().ToLowerInvariant(), ["recipients"] = messages.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["invalid"] = JsonSerializer.Serialize(invalid), ["template"] = row is null ? "" : $"{row.Id} v{row.Version}",
        }, SendRoute, key, bodyHash);
        var accepted = await notifications.Status.Accept(http, NotificationStatuses.Kind, resource, bus => bus.SendLocal(new AcceptNotificationBatch(batchId, department,
            request.Channel.ToString(), request.Critical, row?.RegistrationId, [.. messages.Select(m => new RenderedMessage(m.Id, m.To, m.Body, m.Subject))], now)));
        return accepted.Result switch
        {
            Accepted<AcceptedView> ok => ok,
            ValidationProblem bad => bad,
            ProblemHttpResult refused => refused,
            var other => throw new InvalidOperationException($"Accept answered {other.GetType().Name}"),
        };
    }

    static Task<Results<Ok<StatusView>, ProblemHttpResult>> Show(string id, HttpContext http, [FromServices] EndpointRuntime<NotificationsEndpoint> notifications) =>
        notifications.Status.Show(NotificationStatuses.Kind, Department(http), id);

    static async Task<Results<Ok<RecipientsView>, ProblemHttpResult>> Recipients(string id, string? state, int? limit, HttpContext http, [FromServices] INotificationStore store)
    {
        var department = Department(http);
        if (await store.Batch(department, id, http.RequestAborted) is not { } batch)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such request", detail: $"The department has no notification request '{id}'.");
        var (messages, counts) = await store.Messages(department, id, state, Math.Clamp(limit ?? 100, 1, 10_000), http.RequestAborted);
        return TypedResults.Ok(new RecipientsView(batch.Id, batch.Total, batch.Finished, counts, [.. messages.Select(m => new RecipientView(m.Id,
            m.Channel == Channel.Sms ? Adapters.Notifications.Recipients.MaskPhone(m.To) : Adapters.Notifications.Recipients.MaskEmail(m.To), m.State, m.Provider, m.Code, m.UpdatedAt))]));
    }

    static ValidationProblem Invalid(string field, string problem) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [problem] }, title: "The request is not valid");

}

/// <summary>The body of <c>POST /api/v1/notifications</c>, every field checked.</summary>
internal sealed record NotificationRequest(Channel Channel, IReadOnlyList<NotificationRequest.Recipient> Recipients, string? TemplateId, int? TemplateVersion,
    NotificationRequest.RawContent? Content, IReadOnlyDictionary<string, object?> Data, string? Language, bool Critical)
{
    public sealed record Recipient(string To, IReadOnlyDictionary<string, object?> Data, string? Language);

    public sealed record RawContent(string Body, string? Subject);

    public static NotificationRequest? Read(JsonElement root, int maxRecipients, Dictionary<string, string[]> errors)
    {
        var channelText = JsonFields.Text(root, "channel", errors, required: true, max: 5);
        Channel? channel = channelText switch { "sms" => Adapters.Notifications.Channel.Sms, "email" => Adapters.Notifications.Channel.Email, _ => null };
        if (channelText is not null && channel is null) errors["channel"] = ["channel is sms or email."];
        var recipients = new List<Recipient>();
        if (!root.TryGetProperty("recipients", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() is 0)
            errors["recipients"] = [$"recipients is a list of 1 to {maxRecipients}."];
        else if (list.GetArrayLength() > maxRecipients)
            errors["recipients"] = [$"at most {maxRecipients} recipients in one request."];
        else
            foreach (var (item, i) in list.EnumerateArray().Select((item, i) => (item, i)))
            {
                if (item.ValueKind == JsonValueKind.String && item.GetString() is { Length: > 0 and <= 254 } plain)
                    recipients.Add(new Recipient(plain, new Dictionary<string, object?>(), null));
                else if (item.ValueKind == JsonValueKind.Object && JsonFields.Text(item, "to", errors, required: true, max: 254, prefix: $"recipients[{i}].") is { } to)
                    recipients.Add(new Recipient(to, DataOf(item, errors, $"recipients[{i}]."), JsonFields.Text(item, "language", errors, max: 8, prefix: $"recipients[{i}].")));
                else if (item.ValueKind != JsonValueKind.Object)
                    errors[$"recipients[{i}]"] = ["a recipient is a phone number or e-mail address, or { to, data?, language? }."];
            }
        string? templateId = null;
        int? version = null;
        if (root.TryGetProperty("template", out var template) && template.ValueKind == JsonValueKind.Object)
        {
            templateId = JsonFields.Text(template, "id", errors, required: true, max: 64, prefix: "template.");
            if (template.TryGetProperty("version", out var v) && v.ValueKind != JsonValueKind.Null)
                if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n >= 1) version = n;
                else errors["template.version"] = ["template.version is a positive number."];
        }
        RawContent? content = null;
        if (root.TryGetProperty("content", out var raw) && raw.ValueKind == JsonValueKind.Object)
            content = JsonFields.Text(raw, "body", errors, required: true, max: 20_000, prefix: "content.", lineBreaks: true) is { } text
                ? new RawContent(text, JsonFields.Text(raw, "subject", errors, max: 500, prefix: "content."))
                : null;
        if ((templateId is null) == (content is null) && !errors.ContainsKey("template.id") && !errors.ContainsKey("content.body"))
            errors["template"] = ["Name a template, or give content, not both."];
        if (channel == Adapters.Notifications.Channel.Email && content is { Subject: null }) errors["content.subject"] = ["an e-mail has a subject."];
        var priority = JsonFields.Text(root, "priority", errors, max: 8) ?? "normal";
        if (priority is not ("normal" or "critical")) errors["priority"] = ["priority is normal or critical."];
        var data = DataOf(root, errors, "");
        var language = JsonFields.Text(root, "language", errors, max: 8);
        return channel is null ? null : new NotificationRequest(channel.Value, recipients, templateId, version, content, data, language, priority == "critical");
    }

    /// <summary>Template data: strings, numbers and booleans by name (no nesting: a template fills placeholders, it does not walk documents).</summary>
    static Dictionary<string, object?> DataOf(JsonElement element, Dictionary<string, string[]> errors, string prefix)
    {
        var data = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (!element.TryGetProperty("data", out var values) || values.ValueKind == JsonValueKind.Null) return data;
        if (values.ValueKind != JsonValueKind.Object) { errors[prefix + "data"] = [$"{prefix}data is an object of names and values."]; return data; }
        foreach (var property in values.EnumerateObject().Take(100))
            data[property.Name] = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString() is { Length: <= 2000 } s ? s : null,
                JsonValueKind.Number => property.Value.GetRawText(),
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => null,
            };
        return data;
    }
}
