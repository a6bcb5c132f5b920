"""A backfill spread over Scrapyd nodes: N jobs of the whole range, which split its days by
claiming them in the archive (storage/claims.py); this side only places the jobs, watches the
archive fill, and replaces a job that failed or a node that went away.

A job has failed when Scrapyd lists it finished (or no longer lists it) and its crawl_runs row,
found by the ``_job`` argument the run records, is missing (the crawl refused to start), still
``running`` (the process was killed) or ``failed``. Jobs that ended well while days are still
open (another worker died holding one) are replaced once none is left running.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine

from kompas_crawler.errors import KompasError
from kompas_crawler.scrapyd import SPIDER, Node, NodeError
from kompas_crawler.storage.claims import held_days
from kompas_crawler.storage.filters import Filters
from kompas_crawler.storage.rows import count_articles
from kompas_crawler.storage.runs import FAILED, RUNNING, PastRun, completed_days, runs_of_jobs
from kompas_crawler.urls import DEFAULT_SITE


class BackfillFailed(KompasError):
    """No node left, or the retries are used up: the range is not complete."""

    exit_code = 1


@dataclass
class Placed:
    """A job this backfill scheduled."""

    node: Node
    job: str


@dataclass(frozen=True)
class Progress:
    complete: int
    days: int
    claimed: int
    articles: int

    def line(self, jobs: int) -> str:
        return (
            f"backfill: {self.complete}/{self.days} days complete, {self.claimed} claimed now, "
            f"{self.articles} articles stored; {jobs} jobs"
        )


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def progress(engine: Engine, first: date, last: date, site: str = DEFAULT_SITE) -> Progress:
    """How far the archive is with the range of one site's index."""
    days = days_between(first, last)
    claimed = sum(1 for _site, day in held_days(engine, site) if first <= day <= last)
    return Progress(
        len(completed_days(engine, days, site)),
        len(days),
        claimed,
        count_articles(engine, Filters(since=first, until=last)),
    )


def failure(run: PastRun | None) -> str | None:
    """Why a finished job counts as failed (None: it ended well)."""
    if run is None:
        return "it ended without a run record (the crawl refused to start: see its log)"
    if run.status == RUNNING:
        return f"its process died (crawl run {run.id})"
    if run.status == FAILED:
        return f"crawl run {run.id} failed ({run.finish_reason or 'no reason recorded'})"
    return None


class Backfill:
    """Place ``workers`` jobs of [first, last] on ``nodes`` and see the range through."""

    def __init__(
        self,
        nodes: list[Node],
        engine: Engine,
        first: date,
        last: date,
        *,
        workers: int,
        settings: dict[str, str],
        retries: int,
        report: Callable[[str], None],
        site: str = DEFAULT_SITE,
        poll: float = 2.0,
    ) -> None:
        self.nodes = list(nodes)
        self.engine = engine
        self.first, self.last = first, last
        self.workers = workers
        self.site = site
        self.settings = settings
        self.retries_left = retries
        self.report = report
        self.poll = poll
        self.placed: list[Placed] = []

    # -- nodes

    def drop(self, node: Node, error: NodeError) -> None:
        """Take a node out: one line naming it; its jobs are placed again elsewhere."""
        if node in self.nodes:
            self.nodes.remove(node)
            self.report(f"backfill: {error}; its jobs go to the other nodes")
        if not self.nodes:
            raise BackfillFailed(f"no Scrapyd node is left (the last: {error})")

    def prepare(self, egg: Path | None, version: str) -> None:
        """Check every node and deploy the egg (when given); drop those that fail."""
        for node in list(self.nodes):
            try:
                node.check()
                if egg is not None:
                    node.deploy(egg, version)
                elif not node.has_project():
                    raise NodeError(f"{node.url} has no kompas_crawler project (deploy it first)")
            except NodeError as error:
                self.drop(node, error)

    def place(self) -> Placed:
        """Schedule one job on the node running the fewest of ours."""
        while True:
            node = min(self.nodes, key=lambda n: sum(p.node is n for p in self.placed))
            arguments = {"start_date": self.first.isoformat(), "end_date": self.last.isoformat()}
            if self.site != DEFAULT_SITE:
                arguments["site"] = self.site
            try:
                placed = Placed(node, node.schedule(arguments, self.settings))
            except NodeError as error:
                self.drop(node, error)
                continue
            self.placed.append(placed)
            return placed

    def replace(self, gone: Placed, why: str) -> None:
        if self.placed.count(gone):
            self.placed.remove(gone)
        if self.retries_left <= 0:
            raise BackfillFailed(f"job {gone.job} on {gone.node.url}: {why}; no retries left")
        self.retries_left -= 1
        new = self.place()
        self.report(
            f"backfill: job {gone.job} on {gone.node.url}: {why}; "
            f"rescheduled as {new.job} on {new.node.url}"
        )

    # -- watching

    def check_jobs(self) -> None:
        """Replace the jobs that failed, and those of nodes that stopped answering."""
        for node in list(self.nodes):
            mine = [p for p in self.placed if p.node is node]
            if not mine:
                continue
            try:
                listed = node.jobs()
            except NodeError as error:
                self.drop(node, error)
                for lost in mine:
                    self.replace(lost, "its node stopped answering")
                continue
            ended = [p for p in mine if p.job not in listed or listed[p.job].state == "finished"]
            if not ended:
                continue
            records = runs_of_jobs(self.engine, SPIDER, [p.job for p in ended])
            for placed in ended:
                why = failure(records.get(placed.job))
                if why is None:
                    self.placed.remove(placed)
                else:
                    self.replace(placed, why)

    def run(self) -> Progress:
        """Schedule the jobs and wait for the range to be complete."""
        now = progress(self.engine, self.first, self.last, self.site)
        if now.complete == now.days:
            self.report(f"backfill: all {now.days} days are already complete")
            return now
        for _n in range(self.workers):
            placed = self.place()
            self.report(f"backfill: job {placed.job} scheduled on {placed.node.url}")
        shown = None
        while True:
            now = progress(self.engine, self.first, self.last, self.site)
            if now != shown:
                self.report(now.line(len(self.placed)))
                shown = now
            if now.complete == now.days:
                return now
            self.check_jobs()
            if not self.placed:  # every job ended well, yet days are open: run the rest
                if self.retries_left <= 0:
                    raise BackfillFailed(
                        f"{now.days - now.complete} days still incomplete and no retries left "
                        f"(kompas-crawler coverage --since {self.first} --until {self.last} "
                        "says why)"
                    )
                self.retries_left -= 1
                placed = self.place()
                self.report(
                    f"backfill: every job ended with {now.days - now.complete} days open; "
                    f"job {placed.job} scheduled on {placed.node.url}"
                )
            time.sleep(self.poll)

    def cancel(self) -> None:
        """Cancel every job of ours still pending or running (best effort)."""
        for placed in list(self.placed):
            try:
                placed.node.cancel(placed.job)
            except NodeError as error:
                self.report(f"backfill: could not cancel job {placed.job}: {error}")
