"""OpenAPI: every operation documents the error answers it can give, in the error format."""

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.JSONField())


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


ERROR_CODES_ALWAYS = ("401", "403", "404", "406", "429")
# 415: a body in a media type the operation does not parse.
ERROR_CODES_WRITE = ("400", "409", "415")


class ApiAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction=direction)
        codes = list(ERROR_CODES_ALWAYS)
        # Lists take filters and page numbers, which can be invalid too.
        codes += ERROR_CODES_WRITE if self.method != "GET" else ("400",)
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    ErrorSerializer, code, direction=direction
                )
        return responses
