import { describe, expect, it } from "vitest";
import { InvalidPatternError, matchesPattern, parsePattern } from "../../infra/local/event-pattern";

/** Events and patterns from the EventBridge user guide ("Event patterns", "Content filtering", "Arrays", "Null values"). */
const ec2Event = {
  version: "0",
  id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "EC2 Instance State-change Notification",
  source: "aws.ec2",
  account: "111122223333",
  time: "2017-12-22T18:43:48Z",
  region: "us-west-1",
  resources: ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  detail: { "instance-id": "i-1234567890abcdef0", state: "terminated" },
};

const autoscalingEvent = {
  version: "0",
  id: "3e3c153a-8339-4e30-8c35-687ebef853fe",
  "detail-type": "EC2 Instance Launch Successful",
  source: "aws.autoscaling",
  account: "123456789012",
  time: "2015-11-11T21:31:47Z",
  region: "us-east-1",
  resources: [],
  detail: { eventVersion: "", responseElements: null },
};

const macieEvent = {
  "detail-type": "Macie Alert",
  source: "aws.macie",
  resources: [
    "arn:aws:macie:us-east-1:123456789012:trigger/trigger_id/alert/alert_id",
    "arn:aws:macie:us-east-1:123456789012:trigger/trigger_id",
  ],
  detail: {
    "notification-type": "ALERT_CREATED",
    tags: ["Custom_Alert", "Insider"],
    "risk-score": 80,
    trigger: { "alert-type": "basic", risk: 8 },
  },
};

/** The content-filtering examples' event: counts, a limit, a state. */
const countsEvent = (detail: Record<string, unknown>, time = "2017-10-02T18:43:48Z") => ({ source: "aws.ec2", time, detail });

const matches = (pattern: unknown, event: unknown) => matchesPattern(parsePattern(pattern), event);

describe("event patterns: exact values", () => {
  it("matches EC2 terminations by source, detail-type and a nested detail field", () => {
    const pattern = { source: ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"], detail: { state: ["terminated"] } };

    expect(matches(pattern, ec2Event)).toBe(true);
    expect(matches(pattern, { ...ec2Event, detail: { ...ec2Event.detail, state: "running" } })).toBe(false);
  });

  it("matches any of several values, and nothing else", () => {
    expect(matches({ source: ["aws.ec2", "aws.fargate"] }, ec2Event)).toBe(true);
    expect(matches({ source: ["aws.ec2", "aws.fargate"] }, autoscalingEvent)).toBe(false);
  });

  it("matches numbers in nested objects (Macie: risk-score 80 and trigger risk 8)", () => {
    const pattern = { source: ["aws.macie"], "detail-type": ["Macie Alert"], detail: { "risk-score": [80], trigger: { risk: [8] } } };

    expect(matches(pattern, macieEvent)).toBe(true);
    expect(matches(pattern, { ...macieEvent, detail: { ...macieEvent.detail, trigger: { risk: 7 } } })).toBe(false);
  });

  it("compares strings exactly: no case folding, and a number is not its string", () => {
    expect(matches({ detail: { state: ["Terminated"] } }, ec2Event)).toBe(false);
    expect(matches({ detail: { "risk-score": ["80"] } }, macieEvent)).toBe(false);
  });

  it("matches null and the empty string, which are not interchangeable", () => {
    expect(matches({ detail: { responseElements: [null] } }, autoscalingEvent)).toBe(true);
    expect(matches({ detail: { eventVersion: [""] } }, autoscalingEvent)).toBe(true);
    expect(matches({ detail: { responseElements: [""] } }, autoscalingEvent)).toBe(false);
    expect(matches({ detail: { eventVersion: [null] } }, autoscalingEvent)).toBe(false);
  });

  it("does not match when a field of the pattern is missing from the event", () => {
    expect(matches({ detail: { "c-count": [5] } }, ec2Event)).toBe(false);
    expect(matches({ detail: { state: ["terminated"] } }, { source: "aws.ec2" })).toBe(false);
  });
});

describe("event patterns: arrays", () => {
  it("matches when the pattern's values and the event's array intersect", () => {
    const pattern = {
      resources: [
        "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
        "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
        "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f",
      ],
    };
    const event = {
      resources: [
        "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate",
        "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
      ],
    };

    expect(matches(pattern, event)).toBe(true);
    expect(matches(pattern, { resources: ["arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f"] })).toBe(false);
    expect(matches({ detail: { tags: ["Insider"] } }, macieEvent)).toBe(true);
  });

  it("looks through arrays of arrays, for values and for objects alike", () => {
    const employees = {
      employees: [
        [
          { firstName: "John", lastName: "Doe" },
          { firstName: "Anna", lastName: "Smith" },
        ],
        [{ firstName: "Peter", lastName: "Jones" }],
      ],
    };

    expect(matches({ employees: { firstName: ["Anna"] } }, employees)).toBe(true);
    expect(matches({ employees: { firstName: ["Anna"], lastName: ["Jones"] } }, employees)).toBe(false);
    expect(matches({ detail: { tags: ["Insider"] } }, { detail: { tags: [["Custom_Alert"], ["Insider"]] } })).toBe(true);
    expect(matches({ detail: { tags: [{ exists: false }] } }, { detail: { tags: [[], []] } })).toBe(true);
  });
});

describe("event patterns: prefix and suffix", () => {
  it("matches the prefix of a value (time starting with 2017-10-02)", () => {
    expect(matches({ time: [{ prefix: "2017-10-02" }] }, countsEvent({}))).toBe(true);
    expect(matches({ time: [{ prefix: "2017-10-02" }] }, countsEvent({}, "2017-10-03T00:00:00Z"))).toBe(false);
  });

  it("matches a prefix or suffix regardless of case with equals-ignore-case", () => {
    expect(matches({ detail: { service: [{ prefix: { "equals-ignore-case": "EventB" } }] } }, { detail: { service: "eventbridge" } })).toBe(
      true,
    );
    expect(matches({ detail: { FileName: [{ suffix: ".png" }] } }, { detail: { FileName: "cat.PNG" } })).toBe(false);
    expect(matches({ detail: { FileName: [{ suffix: { "equals-ignore-case": ".png" } }] } }, { detail: { FileName: "cat.PNG" } })).toBe(
      true,
    );
  });

  it("never matches a prefix against a number", () => {
    expect(matches({ detail: { "risk-score": [{ prefix: "8" }] } }, macieEvent)).toBe(false);
  });
});

describe("event patterns: wildcard", () => {
  it("matches any run of characters where the wildcard has *, slashes included", () => {
    const pngs = { detail: { FilePath: [{ wildcard: "dir/*.png" }] } };
    const buses = { detail: { EventBusArn: [{ wildcard: "arn:aws:events:us-east-1:*:event-bus/*" }] } };

    expect(matches(pngs, { detail: { FilePath: "dir/thing.png" } })).toBe(true);
    expect(matches(pngs, { detail: { FilePath: "dir/subdir/thing.png" } })).toBe(true);
    expect(matches(pngs, { detail: { FilePath: "dir/thing.jpg" } })).toBe(false);
    expect(matches(buses, { detail: { EventBusArn: "arn:aws:events:us-east-1:123456789012:event-bus/default" } })).toBe(true);
    expect(matches(buses, { detail: { EventBusArn: "arn:aws:events:us-west-2:123456789012:event-bus/default" } })).toBe(false);
  });

  it("takes \\* for a star and \\\\ for a backslash, and matches only strings", () => {
    expect(matches({ name: [{ wildcard: "a\\*b" }] }, { name: "a*b" })).toBe(true);
    expect(matches({ name: [{ wildcard: "a\\*b" }] }, { name: "axb" })).toBe(false);
    expect(matches({ name: [{ wildcard: "a\\\\*" }] }, { name: "a\\bc" })).toBe(true);
    expect(matches({ n: [{ wildcard: "1*" }] }, { n: 12 })).toBe(false);
  });

  it("matches anything but a wildcard (a path without /lib/)", () => {
    const pattern = { detail: { FilePath: [{ "anything-but": { wildcard: "*/lib/*" } }] } };

    expect(matches(pattern, { detail: { FilePath: "/usr/bin/env" } })).toBe(true);
    expect(matches(pattern, { detail: { FilePath: "/usr/lib/libc.so" } })).toBe(false);
  });
});

describe("event patterns: anything-but", () => {
  it("matches anything but a string, or a number", () => {
    expect(matches({ detail: { state: [{ "anything-but": "initializing" }] } }, countsEvent({ state: "running" }))).toBe(true);
    expect(matches({ detail: { state: [{ "anything-but": "initializing" }] } }, countsEvent({ state: "initializing" }))).toBe(false);
    expect(matches({ detail: { "x-limit": [{ "anything-but": 123 }] } }, countsEvent({ "x-limit": 301.8 }))).toBe(true);
    expect(matches({ detail: { "x-limit": [{ "anything-but": 123 }] } }, countsEvent({ "x-limit": 123 }))).toBe(false);
  });

  it("matches anything but a list of strings, or of numbers", () => {
    const states = { detail: { state: [{ "anything-but": ["stopped", "overloaded"] }] } };
    const limits = { detail: { "x-limit": [{ "anything-but": [100, 200, 300] }] } };

    expect(matches(states, countsEvent({ state: "running" }))).toBe(true);
    expect(matches(states, countsEvent({ state: "overloaded" }))).toBe(false);
    expect(matches(limits, countsEvent({ "x-limit": 301.8 }))).toBe(true);
    expect(matches(limits, countsEvent({ "x-limit": 200 }))).toBe(false);
  });

  it("matches anything but a prefix (state not starting with init)", () => {
    const pattern = { detail: { state: [{ "anything-but": { prefix: "init" } }] } };

    expect(matches(pattern, countsEvent({ state: "running" }))).toBe(true);
    expect(matches(pattern, countsEvent({ state: "initializing" }))).toBe(false);
  });

  it("matches anything but a list of values in any case", () => {
    const pattern = { detail: { state: [{ "anything-but": { "equals-ignore-case": ["Stopped", "OverLoaded"] } }] } };

    expect(matches(pattern, countsEvent({ state: "running" }))).toBe(true);
    expect(matches(pattern, countsEvent({ state: "STOPPED" }))).toBe(false);
    expect(matches(pattern, countsEvent({ state: "overloaded" }))).toBe(false);
  });

  it("does not match an event without the field", () => {
    expect(matches({ detail: { state: [{ "anything-but": "initializing" }] } }, countsEvent({}))).toBe(false);
  });
});

describe("event patterns: numeric", () => {
  const pattern = {
    detail: {
      "c-count": [{ numeric: [">", 0, "<=", 5] }],
      "d-count": [{ numeric: ["<", 10] }],
      "x-limit": [{ numeric: ["=", 3.018e2] }],
    },
  };

  it("matches when every range holds (c-count in (0, 5], d-count < 10, x-limit = 301.8)", () => {
    expect(matches(pattern, countsEvent({ "c-count": 5, "d-count": 2, "x-limit": 301.8 }))).toBe(true);
  });

  it.each([
    ["c-count at the excluded lower bound", { "c-count": 0, "d-count": 2, "x-limit": 301.8 }],
    ["c-count above the upper bound", { "c-count": 6, "d-count": 2, "x-limit": 301.8 }],
    ["d-count not below 10", { "c-count": 5, "d-count": 10, "x-limit": 301.8 }],
    ["x-limit not equal", { "c-count": 5, "d-count": 2, "x-limit": 301.9 }],
    ["a count given as a string", { "c-count": "5", "d-count": 2, "x-limit": 301.8 }],
  ])("does not match with %s", (_, detail) => {
    expect(matches(pattern, countsEvent(detail))).toBe(false);
  });
});

describe("event patterns: exists", () => {
  it("exists: false matches an event without the field", () => {
    const pattern = { detail: { "c-count": [{ exists: false }] } };
    const event = { "detail-type": "EC2 Instance State-change Notification", detail: { state: ["initializing", "running"] } };

    expect(matches(pattern, event)).toBe(true);
    expect(matches(pattern, countsEvent({ "c-count": 5 }))).toBe(false);
  });

  it("exists only looks at leaves: an object field does not exist for it", () => {
    const event = { detail: { state: ["initializing", "running"], "c-count": { c1: 100 } } };

    expect(matches({ detail: { "c-count": [{ exists: false }] } }, event)).toBe(true);
    expect(matches({ detail: { "c-count": [{ exists: true }] } }, event)).toBe(false);
  });

  it("exists: true matches a present field, even null", () => {
    expect(matches({ detail: { responseElements: [{ exists: true }] } }, autoscalingEvent)).toBe(true);
    expect(matches({ detail: { missing: [{ exists: true }] } }, autoscalingEvent)).toBe(false);
  });
});

describe("event patterns: combined", () => {
  const pattern = {
    time: [{ prefix: "2017-10-02" }],
    detail: {
      state: [{ "anything-but": "initializing" }],
      "c-count": [{ numeric: [">", 0, "<=", 5] }],
      "d-count": [{ numeric: ["<", 10] }],
      "x-limit": [{ "anything-but": [100, 200, 300] }],
    },
  };

  it("matches only when every field's condition holds", () => {
    expect(matches(pattern, countsEvent({ state: "running", "c-count": 5, "d-count": 2, "x-limit": 301.8 }))).toBe(true);
    expect(matches(pattern, countsEvent({ state: "initializing", "c-count": 5, "d-count": 2, "x-limit": 301.8 }))).toBe(false);
    expect(matches(pattern, countsEvent({ state: "running", "c-count": 5, "d-count": 2, "x-limit": 300 }))).toBe(false);
    expect(matches(pattern, countsEvent({ state: "running", "c-count": 5, "d-count": 2, "x-limit": 301.8 }, "2017-10-03T00:00:00Z"))).toBe(
      false,
    );
  });

  it("matches either alternative of $or", () => {
    const either = { detail: { $or: [{ "c-count": [{ numeric: [">", 10] }] }, { "d-count": [{ numeric: ["<", 1] }] }] } };

    expect(matches(either, countsEvent({ "c-count": 11, "d-count": 5 }))).toBe(true);
    expect(matches(either, countsEvent({ "c-count": 1, "d-count": 0 }))).toBe(true);
    expect(matches(either, countsEvent({ "c-count": 1, "d-count": 5 }))).toBe(false);
  });

  it("filters DynamoDB stream records the way a Lambda event source mapping does", () => {
    const filter = { eventName: ["INSERT"], dynamodb: { NewImage: { entity: { S: ["history"] } } } };
    const record = (eventName: string, entity: string) => ({
      eventName,
      dynamodb: { NewImage: { entity: { S: entity }, sequence: { N: "3" } } },
    });

    expect(matches(filter, record("INSERT", "history"))).toBe(true);
    expect(matches(filter, record("INSERT", "model"))).toBe(false);
    expect(matches(filter, record("MODIFY", "history"))).toBe(false);
  });
});

describe("parsePattern", () => {
  it.each([
    ["a pattern that is not an object", ["aws.ec2"], /non-empty object/],
    ["a value that is not a list", { source: "aws.ec2" }, /non-empty object/],
    ["an empty list", { source: [] }, /at least one/],
    ["a wildcard with two * in a row", { detail: { s: [{ wildcard: "a**b" }] } }, /wildcard takes/],
    ["a wildcard escaping a letter", { detail: { s: [{ wildcard: "a\\b*" }] } }, /wildcard takes/],
    ["anything-but a wildcard that is not a string", { detail: { s: [{ "anything-but": { wildcard: 5 } }] } }, /anything-but takes/],
    ["an unsupported matcher", { detail: { ip: [{ cidr: "10.0.0.0/24" }] } }, /cidr is not supported/],
    ["a numeric range upside down", { detail: { n: [{ numeric: ["<", 5, ">", 0] }] } }, /numeric takes/],
    ["a numeric range that holds no number", { detail: { n: [{ numeric: [">", 10, "<", 5] }] } }, /numeric takes a lower bound below/],
    ["a numeric range of one excluded number", { detail: { n: [{ numeric: [">=", 5, "<", 5] }] } }, /numeric takes a lower bound below/],
    ["a numeric bound that is a string", { detail: { n: [{ numeric: [">", "0"] }] } }, /numeric takes/],
    ["anything-but with a mixed list", { detail: { s: [{ "anything-but": ["a", 1] }] } }, /anything-but takes/],
    ["anything-but an empty prefix", { detail: { s: [{ "anything-but": { prefix: "" } }] } }, /anything-but takes/],
    ["anything-but an empty suffix", { detail: { s: [{ "anything-but": { suffix: "" } }] } }, /anything-but takes/],
    ["exists with a string", { detail: { s: [{ exists: "yes" }] } }, /exists takes true or false/],
    ["invalid JSON text", "{ source: ", /not valid JSON/],
  ])("refuses %s", (_, pattern, message) => {
    expect(() => parsePattern(pattern)).toThrow(InvalidPatternError);
    expect(() => parsePattern(pattern)).toThrow(message);
  });

  it("takes a pattern as JSON text, as PutRule's EventPattern does", () => {
    expect(matchesPattern(parsePattern('{"source":["aws.ec2"]}'), ec2Event)).toBe(true);
  });
});
