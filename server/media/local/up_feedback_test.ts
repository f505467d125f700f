import { assertEquals } from "../../../tests/support/assert.ts";
import { keptRate, publisherBudget } from "./up_feedback.ts";

Deno.test("without subscribers, or none bounded, the publisher may send 6 Mbit/s", () => {
  assertEquals(publisherBudget(1, []), 6_000_000);
  assertEquals(publisherBudget(1, [Infinity, null]), 6_000_000);
});

Deno.test("without simulcast the weakest subscriber sets the budget, with a 200 kbit/s floor", () => {
  assertEquals(publisherBudget(1, [3_000_000, 800_000, Infinity]), 800_000);
  assertEquals(publisherBudget(1, [50_000]), 200_000);
});

Deno.test("with simulcast the best subscriber sets the top layer, lower layers get 100 kbit/s each", () => {
  assertEquals(publisherBudget(3, [500_000, 2_000_000]), 2_200_000);
  assertEquals(publisherBudget(2, [300_000, null]), 400_000);
});

Deno.test("subscribers that take no video do not bound the budget", () => {
  assertEquals(publisherBudget(1, [null, null]), 6_000_000);
});

Deno.test("the budget keeps alive the layers a subscriber takes, whatever one estimate says", () => {
  // One subscriber on the 1.2 Mbit/s layer whose estimate dipped to 72 kbit/s.
  const kept = keptRate([150_000, 1_200_000], [1_200_000]);
  assertEquals(kept, 1_350_000);
  assertEquals(publisherBudget(2, [72_000], kept), 1_687_500);
  // Everyone on the low layer: the estimate alone sets the top layer.
  assertEquals(keptRate([150_000, 1_200_000], [150_000]), 150_000);
  assertEquals(publisherBudget(2, [72_000], 150_000), 300_000);
  assertEquals(keptRate([150_000, 1_200_000], []), 0);
});
