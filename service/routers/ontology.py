"""The JSON-LD context and the SKOS concept scheme."""
from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..jsonld import CONTEXT, ontology, ontology_turtle
from ..responses import JSONLDResponse

router = APIRouter(prefix="/v1", tags=["ontology"])


@router.get("/context.jsonld", name="context_jsonld", summary="The JSON-LD @context of the results",
            response_class=JSONLDResponse)
def context_jsonld() -> Response:
    return Response(orjson.dumps(CONTEXT), media_type="application/ld+json")


@router.get("/ontology", summary="Concepts and the functional classification as SKOS (JSON-LD or Turtle)",
            response_class=JSONLDResponse, responses={200: {"content": {"text/turtle": {}}}})
def get_ontology(request: Request) -> Response:
    if "text/turtle" in request.headers.get("accept", ""):
        return Response(ontology_turtle(), media_type="text/turtle")
    return Response(orjson.dumps(ontology()), media_type="application/ld+json")
