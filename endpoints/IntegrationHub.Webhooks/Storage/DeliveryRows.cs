using IntegrationHub.Hosting.Departments;
using Npgsql;

namespace IntegrationHub.Webhooks.Storage;

/// <summary>Mapping between <see cref="WebhookDelivery"/> and a row of <c>webhooks.deliveries</c>.</summary>
internal static class DeliveryRows
{
    public const string Columns = "id, department, subject, event_type, url, status, attempts, round, round_attempts, created_at, " +
                                  "last_attempt_at, last_status_code, last_error, next_attempt_at, delivered_at, payload";

    public const string Parameters = "@id, @department, @subject, @event_type, @url, @status, @attempts, @round, @round_attempts, " +
                                     "@created_at, @last_attempt_at, @last_status_code, @last_error, @next_attempt_at, @delivered_at, @payload";

    public static void Bind(NpgsqlCommand command, WebhookDelivery d)
    {
        var p = command.Parameters;
        p.AddWithValue("id", d.Id);
        p.AddWithValue("department", DepartmentRegistry.Normalize(d.Department));
        p.AddWithValue("subject", d.Subject);
        p.AddWithValue("event_type", d.EventType);
        p.AddWithValue("url", (object?)d.Url?.ToString() ?? DBNull.Value);
        p.AddWithValue("status", d.Status);
        p.AddWithValue("attempts", d.Attempts);
        p.AddWithValue("round", d.Round);
        p.AddWithValue("round_attempts", d.RoundAttempts);
        p.AddWithValue("created_at", d.CreatedAt.UtcDateTime);
        p.AddWithValue("last_attempt_at", (object?)d.LastAttemptAt?.UtcDateTime ?? DBNull.Value);
        p.AddWithValue("last_status_code", (object?)d.LastStatusCode ?? DBNull.Value);
        p.AddWithValue("last_error", (object?)d.LastError ?? DBNull.Value);
        p.AddWithValue("next_attempt_at", (object?)d.NextAttemptAt?.UtcDateTime ?? DBNull.Value);
        p.AddWithValue("delivered_at", (object?)d.DeliveredAt?.UtcDateTime ?? DBNull.Value);
        p.AddWithValue("payload", d.Payload);
    }

    public static WebhookDelivery Read(NpgsqlDataReader r) => new(
        Id: r.GetString(0),
        Department: r.GetString(1),
        Subject: r.GetString(2),
        EventType: r.GetString(3),
        Url: r.IsDBNull(4) ? null : new Uri(r.GetString(4)),
        Status: r.GetString(5),
        Attempts: r.GetInt32(6),
        Round: r.GetInt32(7),
        RoundAttempts: r.GetInt32(8),
        CreatedAt: Time(r, 9)!.Value,
        LastAttemptAt: Time(r, 10),
        LastStatusCode: r.IsDBNull(11) ? null : r.GetInt32(11),
        LastError: r.IsDBNull(12) ? null : r.GetString(12),
        NextAttemptAt: Time(r, 13),
        DeliveredAt: Time(r, 14),
        Payload: r.GetString(15));

    static DateTimeOffset? Time(NpgsqlDataReader r, int i) =>
        r.IsDBNull(i) ? null : new DateTimeOffset(DateTime.SpecifyKind(r.GetDateTime(i), DateTimeKind.Utc));
}
